/**
 * The Sybil figures of `npm run bench:verify`: what a new identity costs the guards, and what an attacker
 * with many addresses earns per hour before its identities are caught — by simulation with the shipped
 * rules: admission (`decideAdmission`, the default limits of config.ts), adaptive replication
 * (`checkProbability`), reputation tiers (`recordCheck`, `tierOf`) and credit (`creditFor`), with escrow as
 * `creditPolicy` and `keepRewards` apply it (unconfirmed credit, whatever the tier, waits for the epoch's end
 * and is forfeited when the tab is caught; guard-confirmed credit is paid at once).
 * Before the per-account payout cap (rewards/), which bounds new accounts further.
 */
import {
  BANNED_AFTER_INVALID_CHECKS,
  checkProbability,
  creditFor,
  emptyReputation,
  formatAmount,
  identityProofMessage,
  recordCheck,
  tierOf,
} from '@tessera/shared';
import type { ReputationStats, Tier } from '@tessera/shared';
import { createHash } from 'node:crypto';
import { loadConfig } from '../src/config.ts';
import type { ClientAddress } from '../src/workers/admission-address.ts';
import { admissionLimitsOf, decideAdmission, type AdmissionLimits } from '../src/workers/admission-policy.ts';

export interface SybilOptions {
  /** How long the attack runs. */
  hours: number;
  /** Tasks one tab runs per hour when honest (demand is assumed unlimited: an upper bound). */
  tasksPerHour: number;
  tokensPerTask: number;
  random: () => number;
}

/**
 * What the attacker's identities do: cheat on every task; cheat only once trusted and checked as rarely as
 * the policy allows (`patient`, until banned); the same but retire a key after two catches, before the
 * ban, and take a fresh one (`rotating`); or never cheat.
 */
export type Strategy = 'always' | 'patient' | 'rotating' | 'honest';
export const STRATEGIES: readonly Strategy[] = ['always', 'patient', 'rotating', 'honest'];

const HOUR = 3_600_000;
const EPOCH = HOUR;

interface Identity {
  stats: ReputationStats;
  bornAt: number;
  escrowFake: bigint;
  escrowHonest: bigint;
}

export interface AddressRun {
  identities: number;
  checks: number;
  tasks: number;
  fakeTasksPaid: number;
  paidFake: bigint;
  paidHonest: bigint;
  forfeited: bigint;
  /** The same, for the first hour only. */
  firstHour: { identities: number; checks: number; paidFake: bigint; paidHonest: bigint };
}

function cheats(strategy: Strategy, stats: ReputationStats): boolean {
  if (strategy === 'always') return true;
  if (strategy === 'honest') return false;
  const tier = tierOf(stats);
  // Patient and rotating: lie only once trusted and checked as rarely as the policy allows, then earn trust back.
  return (
    (tier === 'trusted' || tier === 'veteran') && checkProbability(stats.consecutiveValid) <= checkProbability(Number.MAX_SAFE_INTEGER)
  );
}

/**
 * One attacker address (alone in its /24, the attacker's best case) running as many tabs as admission lets
 * it keep connected; a tab whose identity is banned asks for a fresh key, which admission may refuse.
 */
export function simulateAddress(strategy: Strategy, limits: AdmissionLimits, ratePerUnit: bigint, options: SybilOptions): AddressRun {
  const tabs = Math.min(limits.tabsPerAddress, limits.tabsPerPrefix);
  const step = HOUR / options.tasksPerHour;
  const units = BigInt(options.tokensPerTask);
  const client = { address: '203.0.113.7', prefix: '203.0.113.0/24' };
  const slots: Array<Identity | null> = Array.from({ length: tabs }, () => null);
  const born: Identity[] = [];
  const run: AddressRun = {
    identities: 0,
    checks: 0,
    tasks: 0,
    fakeTasksPaid: 0,
    paidFake: 0n,
    paidHonest: 0n,
    forfeited: 0n,
    firstHour: { identities: 0, checks: 0, paidFake: 0n, paidHonest: 0n },
  };
  const credit = (tier: Tier) => creditFor({ units, ratePerUnit, modelMultiplier: 1, tier });
  let nextEpoch = EPOCH;
  for (let now = 0; now < options.hours * HOUR; now += step) {
    if (now >= nextEpoch) {
      // The epoch closes: escrow not forfeited by now is paid.
      for (const identity of born) {
        run.paidFake += identity.escrowFake;
        run.paidHonest += identity.escrowHonest;
        identity.escrowFake = identity.escrowHonest = 0n;
      }
      nextEpoch += EPOCH;
    }
    if (now === HOUR)
      run.firstHour = { identities: run.identities, checks: run.checks, paidFake: run.paidFake, paidHonest: run.paidHonest };
    // First every tab that needs a key asks for one, all at once (the attacker's best order), then they work.
    for (let slot = 0; slot < tabs; slot++) {
      const identity = slots[slot] ?? null;
      const retired = strategy === 'rotating' && identity !== null && identity.stats.invalidChecks >= 2;
      if (identity !== null && !retired && tierOf(identity.stats) !== 'banned') continue;
      slots[slot] = null;
      if (!admitted(born, slots, client, limits, now)) continue;
      const fresh = { stats: emptyReputation(), bornAt: now, escrowFake: 0n, escrowHonest: 0n };
      slots[slot] = fresh;
      born.push(fresh);
      run.identities++;
    }
    for (const identity of slots) if (identity !== null) runTask(identity, strategy, options.random, credit, run);
  }
  return run;
}

/** Whether admission takes one more new key from this address now, by `decideAdmission` with what AdmissionControl would read. */
function admitted(
  born: readonly Identity[],
  slots: ReadonlyArray<Identity | null>,
  client: ClientAddress,
  limits: AdmissionLimits,
  now: number,
): boolean {
  // A third of the weight per catch, all of it once banned.
  const births = {
    recent: born.filter((other) => other.bornAt > now - limits.newIdentityWindowMs).map((other) => other.bornAt),
    caught: born
      .filter((other) => other.bornAt > now - limits.bannedIdentityMemoryMs && other.stats.invalidChecks > 0)
      .map((other) => ({ at: other.bornAt, share: Math.min(1, other.stats.invalidChecks / BANNED_AFTER_INVALID_CHECKS) })),
  };
  const connected = slots.filter((other) => other !== null).length;
  const decision = decideAdmission(
    {
      role: 'worker',
      proofBits: limits.identityProofBits,
      knownKey: false,
      client,
      connected: { address: connected, prefix: connected },
      births: { address: births, prefix: births },
      now,
    },
    limits,
  );
  return decision.admit;
}

function runTask(identity: Identity, strategy: Strategy, random: () => number, credit: (tier: Tier) => bigint, run: AddressRun): void {
  const lie = cheats(strategy, identity.stats);
  const tier = tierOf(identity.stats);
  run.tasks++;
  const checked = random() < checkProbability(identity.stats.consecutiveValid);
  if (checked) {
    run.checks++;
    if (lie) {
      // A guard's "invalid" goes to a second guard; the caught result is not paid and the escrow is forfeited.
      run.checks++;
      run.forfeited += identity.escrowFake + identity.escrowHonest;
      identity.escrowFake = identity.escrowHonest = 0n;
      identity.stats = recordCheck(identity.stats, 'invalid');
      return;
    }
    identity.stats = recordCheck(identity.stats, 'valid');
    run.paidHonest += credit(tier);
    return;
  }
  // Unconfirmed, whatever the tier: it waits in escrow for the epoch's end (creditPolicy).
  const amount = credit(tier);
  if (lie) run.fakeTasksPaid++;
  if (lie) identity.escrowFake += amount;
  else identity.escrowHonest += amount;
}

/** Checks a guard makes on an identity's first `tasks` results, averaged over `trials` identities. */
export function checksPerIdentity(
  strategy: Strategy,
  tasks: number,
  trials: number,
  random: () => number,
): { checks: number; tasksRun: number } {
  let checks = 0;
  let tasksRun = 0;
  for (let trial = 0; trial < trials; trial++) {
    let stats = emptyReputation();
    for (let task = 0; task < tasks && tierOf(stats) !== 'banned'; task++) {
      tasksRun++;
      const lie = cheats(strategy, stats);
      if (random() >= checkProbability(stats.consecutiveValid)) continue;
      checks += lie ? 2 : 1;
      stats = recordCheck(stats, lie ? 'invalid' : 'valid');
    }
  }
  return { checks: checks / trials, tasksRun: tasksRun / trials };
}

/** Native sha256 proofs per second on this machine: what a scripted attacker pays, against a browser's WebCrypto. */
function nativeProofHashesPerSecond(): number {
  const publicKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
  const started = performance.now();
  const hashes = 200_000;
  for (let nonce = 0; nonce < hashes; nonce++) createHash('sha256').update(identityProofMessage(publicKey, nonce)).digest();
  return hashes / ((performance.now() - started) / 1000);
}

function tsra(amount: bigint): string {
  return Number(formatAmount(amount)).toFixed(4);
}

export function printSybilFigures(options: SybilOptions): void {
  const config = loadConfig({});
  const limits = admissionLimitsOf(config);
  const ratePerUnit = BigInt(config.rewardPerUnit);
  const taskCredit = creditFor({ units: BigInt(options.tokensPerTask), ratePerUnit, modelMultiplier: 1, tier: 'trusted' });
  console.log(
    `\nSybil model — admission defaults: ${limits.identityProofBits}-bit identity proof; per address ${limits.tabsPerAddress} tabs and ` +
      `${limits.newIdentitiesPerAddress} new keys per ${limits.newIdentityWindowMs / 60_000} min; per /24 or /64 ${limits.tabsPerPrefix} tabs and ` +
      `${limits.newIdentitiesPerPrefix} new keys; a banned key weighs ${limits.bannedIdentityWeight} for ${limits.bannedIdentityMemoryMs / HOUR} h`,
  );
  const rate = nativeProofHashesPerSecond();
  const expected = 2 ** limits.identityProofBits;
  console.log(
    `identity proof: 2^${limits.identityProofBits} = ${expected.toLocaleString('en')} hashes expected; native sha256 here ${Math.round(rate).toLocaleString('en')}/s ` +
      `(${((expected / rate) * 1000).toFixed(0)} ms a key on one core); a Chromium tab ~228,000/s (~${(expected / 228_000).toFixed(1)} s, e2e/identity-proof.test.ts)`,
  );

  const trials = 2000;
  const honest = checksPerIdentity('honest', 100, trials, options.random);
  const always = checksPerIdentity('always', 100, trials, options.random);
  const patient = checksPerIdentity('patient', 1000, trials, options.random);
  console.log('\nguard checks per new identity (a check re-scores one task: about the FLOPs of running it)');
  console.log(
    `  honest newcomer, first 100 tasks      ${honest.checks.toFixed(1)} checks (all of its first 10): ${honest.checks.toFixed(0)}% of its work re-checked`,
  );
  console.log(
    `  cheats on every task                  ${always.checks.toFixed(1)} checks (3 catches + 3 second opinions) over ${always.tasksRun.toFixed(1)} tasks, then banned; paid nothing`,
  );
  console.log(
    `  patient cheater, until banned         ${patient.checks.toFixed(1)} checks over ${patient.tasksRun.toFixed(0)} tasks, most of them honest`,
  );

  console.log(
    `\none attacker address (its own /24), ${Math.min(limits.tabsPerAddress, limits.tabsPerPrefix)} tabs × ${options.tasksPerHour} tasks/h, ` +
      `${options.tokensPerTask} tokens a task (${tsra(taskCredit)} TSRA paid at trusted), over ${options.hours} h; demand unlimited`,
  );
  console.log(
    'strategy     new keys/day   guard checks/h (first h)   lies paid/h   paid for lies/h (first h)    paid for honest work/h   forfeited/h',
  );
  const days = options.hours / 24;
  const perHour = (value: bigint) => value / BigInt(options.hours);
  const results = new Map<Strategy, AddressRun>();
  for (const strategy of STRATEGIES) {
    const run = simulateAddress(strategy, limits, ratePerUnit, options);
    results.set(strategy, run);
    console.log(
      `${strategy.padEnd(13)}${(run.identities / days).toFixed(0).padEnd(15)}` +
        `${`${(run.checks / options.hours).toFixed(0)} (${run.firstHour.checks})`.padEnd(27)}` +
        `${(run.fakeTasksPaid / options.hours).toFixed(1).padEnd(14)}` +
        `${`${tsra(perHour(run.paidFake))} (${tsra(run.firstHour.paidFake)}) TSRA`.padEnd(29)}` +
        `${`${tsra(perHour(run.paidHonest))} TSRA`.padEnd(25)}${tsra(perHour(run.forfeited))} TSRA`,
    );
  }
  const honestRun = results.get('honest');
  const best = [...results.entries()].sort((a, b) => Number(b[1].paidFake - a[1].paidFake))[0];
  if (honestRun === undefined || best === undefined) return;
  const [strategy, run] = best;
  const lies = perHour(run.paidFake);
  console.log(
    `\nattacker with N addresses, each its own /24, paid for lies before being caught (best strategy: ${strategy}), per hour over ${options.hours} h:`,
  );
  for (const addresses of [1, 10, 100, 1000]) console.log(`  N = ${String(addresses).padEnd(6)} ${tsra(lies * BigInt(addresses))} TSRA/h`);
  console.log(
    `  with the same tabs it earns ${tsra(perHour(run.paidFake + run.paidHonest))} TSRA/h per address, lies and real work together; ` +
      `honest all along, ${tsra(perHour(honestRun.paidHonest))} TSRA/h: lying ${run.paidFake + run.paidHonest < honestRun.paidHonest ? 'does not pay' : 'pays'}`,
  );
}
