/**
 * `npm run bench:verify`: how well the real verification policy (shared/src/verification) catches
 * cheaters and what it costs, by simulation. Prints figures; asserts nothing.
 *
 * - Detection: a tab that cheats on a fraction of tasks meets `checkProbabilityFor` (adaptive replication)
 *   and `recordCheck`/`tierOf` (reputation) exactly as the coordinator applies them.
 * - Guard compute: checks per task of an honest tab, in token-forwards (a check re-scores prompt + output
 *   in one pass: the same FLOPs as generating, so this is the conservative figure) and in wall time with
 *   decode costing `decodeToPrefillTime` × a prefill token (batched prefill is that much faster per token).
 * - False positives: honest greedy and sampled claims re-scored by a guard whose logits differ by runtime
 *   noise (fp32 ≈ 1e-5, fp16 GPU ≈ 5e-3), judged by `judgeChatClaim` with the shipped tolerances.
 * - Colluding guards (collusion-simulation.ts): lies delivered per 1,000 tasks of a lying worker whose
 *   owner holds k of n guards, under the shipped guard rule and the one before it.
 * - Sybil identities (sybil-simulation.ts): guard compute per new identity, and what an attacker with N
 *   addresses earns per hour before its identities are caught, under the shipped admission limits.
 * - Lazy guards (guard-honesty-simulation.ts): real checks until a planted check catches one, planted ÷ real
 *   checks of an honest guard, and all verification as a share of the workers' compute.
 */
import { DEFAULT_REPLICATION_POLICY, checkProbabilityFor, emptyReputation, judgeChatClaim, recordCheck, tierOf } from '@tessera/shared';
import type { ChatTaskSpec, ReplicationPolicy, TokenScore } from '@tessera/shared';
import { printCollusionFigures } from './collusion-simulation.ts';
import { printGuardHonestyFigures } from './guard-honesty-simulation.ts';
import { printPatientCheaterFigures } from './patient-cheater.ts';
import { printSybilFigures } from './sybil-simulation.ts';

interface Options {
  trials: number;
  tasks: number;
  seed: number;
  promptTokens: number;
  outputTokens: number;
  decodeToPrefillTime: number;
  floor: number;
  /** The Sybil simulation (sybil-simulation.ts): hours of attack, and tasks a tab runs per hour. */
  sybilHours: number;
  tasksPerHour: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    trials: 4000,
    tasks: 1000,
    seed: 42,
    promptTokens: 200,
    outputTokens: 200,
    decodeToPrefillTime: 10,
    floor: DEFAULT_REPLICATION_POLICY.floorProbability,
    sybilHours: 24,
    tasksPerHour: 120,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help') {
      console.log(`Usage: npm run bench:verify -- [--trials N] [--tasks N] [--seed N] [--floor P] [--decode-to-prefill-time K] [--sybil-hours H] [--tasks-per-hour N] [--quick]
Simulates the shipped verification policy against cheating and honest tabs and prints detection rates,
guard compute and false positives, and what Sybil identities cost guards and earn. Defaults: ${JSON.stringify(options)}`);
      process.exit(0);
    }
    const value = Number(argv[i + 1]);
    if (arg === '--quick') options.trials = 500;
    else if (arg === '--trials') options.trials = value;
    else if (arg === '--tasks') options.tasks = value;
    else if (arg === '--seed') options.seed = value;
    else if (arg === '--floor') options.floor = value;
    else if (arg === '--decode-to-prefill-time') options.decodeToPrefillTime = value;
    else if (arg === '--sybil-hours') options.sybilHours = value;
    else if (arg === '--tasks-per-hour') options.tasksPerHour = value;
    else throw new Error(`unknown option ${arg}; see --help`);
    // Every option but --quick takes the next argument as its value.
    if (arg !== '--quick') i++;
  }
  return options;
}

/** Reproducible uniform [0,1) (mulberry32); the coordinator itself uses crypto randomness. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface CheaterRun {
  caughtAt: number | null;
  checks: number;
}

/** One tab over `tasks` tasks; it is stopped (demoted) at the first caught lie. */
function runTab(cheatRate: number, tasks: number, random: () => number, policy: ReplicationPolicy): CheaterRun {
  let stats = emptyReputation();
  let checks = 0;
  for (let task = 1; task <= tasks; task++) {
    const cheats = random() < cheatRate;
    if (random() >= checkProbabilityFor(stats, policy)) continue;
    checks++;
    if (cheats) return { caughtAt: task, checks };
    stats = recordCheck(stats, 'valid');
  }
  return { caughtAt: null, checks };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** A token's score as a guard computes it: logit, rank, log p and the moments of log p at that position. */
function scoreRow(row: readonly number[], tokenId: number, temperature: number): TokenScore {
  const chosenLogit = row[tokenId] ?? 0;
  const maxLogit = Math.max(...row);
  const rank = row.filter((logit) => logit > chosenLogit).length;
  if (temperature === 0) return { chosenLogit, maxLogit, rank, logProb: 0, expectedLogProb: 0, logProbVariance: 0 };
  const logSum = Math.log(row.reduce((sum, logit) => sum + Math.exp((logit - maxLogit) / temperature), 0));
  let mean = 0;
  let meanOfSquares = 0;
  for (const logit of row) {
    const logP = (logit - maxLogit) / temperature - logSum;
    mean += Math.exp(logP) * logP;
    meanOfSquares += Math.exp(logP) * logP * logP;
  }
  return {
    chosenLogit,
    maxLogit,
    rank,
    logProb: (chosenLogit - maxLogit) / temperature - logSum,
    expectedLogProb: mean,
    logProbVariance: Math.max(0, meanOfSquares - mean * mean),
  };
}

/**
 * Share of claims a guard refuses: each claim is `length` tokens decoded (greedy, or sampled at
 * `temperature`) from random logits rows, with `tamperShare` of them swapped for arbitrary tokens; the
 * guard sees the same rows plus runtime noise and judges the whole claim with the shipped tolerances.
 */
function refusalRate(
  temperature: number,
  noise: number,
  claims: number,
  length: number,
  tamperShare: number,
  random: () => number,
): number {
  const vocab = 256;
  const spec: ChatTaskSpec = {
    kind: 'chat',
    model: 'sim',
    messages: [{ role: 'user', content: 'x' }],
    params: { maxTokens: length, temperature, topP: 1, seed: null, stop: [] },
  };
  let refused = 0;
  for (let c = 0; c < claims; c++) {
    const tokenIds: number[] = [];
    const scores: TokenScore[] = [];
    for (let position = 0; position < length; position++) {
      const worker = Array.from({ length: vocab }, () => gaussian(random) * 3);
      let chosen = 0;
      if (temperature === 0) {
        for (let i = 1; i < vocab; i++) if ((worker[i] ?? 0) > (worker[chosen] ?? 0)) chosen = i;
      } else {
        const weights = worker.map((logit) => Math.exp(logit / temperature));
        let pick = random() * weights.reduce((a, b) => a + b, 0);
        for (chosen = 0; chosen < vocab - 1 && pick > (weights[chosen] ?? 0); chosen++) pick -= weights[chosen] ?? 0;
      }
      // A cheater swaps some tokens for arbitrary ones.
      if (random() < tamperShare) chosen = Math.floor(random() * vocab);
      tokenIds.push(chosen);
      scores.push(
        scoreRow(
          worker.map((logit) => logit + gaussian(random) * noise),
          chosen,
          temperature,
        ),
      );
    }
    const judged = judgeChatClaim(
      spec,
      { kind: 'chat', text: '', finishReason: 'length', tokenIds },
      { kind: 'chat', scores, decodedText: '', endScore: null, promptTokens: 1 },
    );
    if (judged.verdict === 'invalid') refused++;
  }
  return refused / claims;
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const policy: ReplicationPolicy = { ...DEFAULT_REPLICATION_POLICY, floorProbability: options.floor };
  const random = rng(options.seed);
  const started = performance.now();
  console.log(
    `Tessera verification benchmark — ${options.trials} simulated tabs × ${options.tasks} tasks, policy: ${policy.probationChecks} probation checks, then 1/N, floor ${policy.floorProbability}\n`,
  );

  console.log('cheat rate   caught ≤ tasks    median caught at   p95 caught at   goal');
  for (const rate of [0.01, 0.05, 0.2]) {
    const runs = Array.from({ length: options.trials }, () => runTab(rate, options.tasks, random, policy));
    const caught = runs
      .filter((run) => run.caughtAt !== null)
      .map((run) => run.caughtAt ?? 0)
      .sort((a, b) => a - b);
    const share = caught.length / runs.length;
    const goal = rate === 0.05 ? `≥ 99% within ${options.tasks}: ${share >= 0.99 ? 'met' : 'NOT met'}` : '';
    console.log(
      `${`${(rate * 100).toFixed(0)}%`.padEnd(13)}${`${(share * 100).toFixed(2)}%`.padEnd(18)}${String(percentile(caught, 0.5)).padEnd(19)}${String(percentile(caught, 0.95)).padEnd(16)}${goal}`,
    );
  }

  const honest = Array.from({ length: options.trials }, () => runTab(0, options.tasks, random, policy));
  const checkedShare = honest.reduce((sum, run) => sum + run.checks, 0) / (options.trials * options.tasks);
  const workerTime = options.promptTokens + options.outputTokens * options.decodeToPrefillTime;
  const guardTime = options.promptTokens + options.outputTokens;
  let stats = emptyReputation();
  for (let i = 0; i < 15; i++) stats = recordCheck(stats, 'valid');
  console.log(
    `\nhonest tabs: ${(checkedShare * 100).toFixed(2)}% of tasks re-checked; false accusations by policy: 0 (a valid check never lowers a tier: ${tierOf(stats)})`,
  );
  console.log(
    `guard compute / worker compute:  ${(checkedShare * 100).toFixed(2)}% in token-forwards (same FLOPs per check)   goal ≤ 10%: ${checkedShare <= 0.1 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `                                  ${((checkedShare * guardTime * 100) / workerTime).toFixed(2)}% in time (prompt ${options.promptTokens}, output ${options.outputTokens}, decode ${options.decodeToPrefillTime}× prefill per token)`,
  );

  const claims = Math.max(100, Math.round(options.trials / 20));
  const length = 50;
  console.log(`\n${length}-token claims re-scored by a guard whose logits carry runtime noise (refused share)`);
  console.log('decoding        noise σ     honest (false positives)   10% of tokens swapped   all swapped');
  for (const [temperature, noise, label] of [
    [0, 1e-5, 'greedy'],
    [0, 5e-3, 'greedy'],
    [0.8, 1e-5, 'T=0.8'],
    [0.8, 5e-3, 'T=0.8'],
    [1.5, 5e-3, 'T=1.5'],
  ] as const) {
    const rates = [0, 0.1, 1].map((tamper) => `${(refusalRate(temperature, noise, claims, length, tamper, random) * 100).toFixed(2)}%`);
    console.log(
      `${label.padEnd(16)}${noise.toExponential(0).padEnd(12)}${(rates[0] ?? '').padEnd(27)}${(rates[1] ?? '').padEnd(24)}${rates[2] ?? ''}`,
    );
  }
  printCollusionFigures({ trials: Math.min(options.trials, 2000), random });
  printPatientCheaterFigures({ trials: options.trials, random });
  printSybilFigures({ hours: options.sybilHours, tasksPerHour: options.tasksPerHour, tokensPerTask: options.outputTokens, random });
  printGuardHonestyFigures({ trials: Math.min(options.trials, 2000), random });
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

main();
