/**
 * Guards checked by planted claims (part of `npm run bench:verify`): how many real checks a lazy guard (one
 * that answers "valid" to everything without running the model) gets through before a planted known-wrong
 * claim catches it, from its start and after it turned lazy as a veteran; what planted checks cost an honest
 * guard (planted ÷ real checks); and all verification (worker checks, second opinions, planted checks) as a
 * share of the workers' compute. Uses the shipped rule: a planted check beside each real one with the
 * guard's `checkProbabilityFor`, known wrong with `KNOWN_WRONG_SHARE`; reputation by `recordCheck`.
 */
import { DEFAULT_REPLICATION_POLICY, checkProbabilityFor, emptyReputation, recordCheck } from '@tessera/shared';
import type { ReputationStats } from '@tessera/shared';
import { KNOWN_WRONG_SHARE } from '../src/verification/planted-checks.ts';

/** One real check taken by a guard, and the planted one that may come beside it; `lazy` passes everything. */
function takeCheck(
  stats: ReputationStats,
  lazy: boolean,
  random: () => number,
): { stats: ReputationStats; planted: boolean; caught: boolean } {
  if (random() >= checkProbabilityFor(stats, DEFAULT_REPLICATION_POLICY)) return { stats, planted: false, caught: false };
  const knownWrong = random() < KNOWN_WRONG_SHARE;
  const caught = lazy && knownWrong;
  return { stats: recordCheck(stats, caught ? 'invalid' : 'valid'), planted: true, caught };
}

/** Real checks a guard that is honest for `honestChecks` and then lazy takes until its first catch (median and mean). */
function checksUntilCaught(honestChecks: number, trials: number, random: () => number): { median: number; mean: number; p99: number } {
  const counts: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    let stats = emptyReputation();
    for (let i = 0; i < honestChecks; i++) stats = takeCheck(stats, false, random).stats;
    let checks = 0;
    for (;;) {
      checks++;
      const step = takeCheck(stats, true, random);
      stats = step.stats;
      if (step.caught) break;
    }
    counts.push(checks);
  }
  counts.sort((a, b) => a - b);
  return {
    median: counts[Math.floor(counts.length / 2)] ?? 0,
    mean: counts.reduce((a, b) => a + b, 0) / counts.length,
    p99: counts[Math.floor(counts.length * 0.99)] ?? 0,
  };
}

/** Planted ÷ real checks of an honest guard over its first `checks` real checks. */
function plantedShare(checks: number, trials: number, random: () => number): number {
  let planted = 0;
  for (let trial = 0; trial < trials; trial++) {
    let stats = emptyReputation();
    for (let i = 0; i < checks; i++) {
      const step = takeCheck(stats, false, random);
      stats = step.stats;
      if (step.planted) planted++;
    }
  }
  return planted / (checks * trials);
}

/** Guard checks per task of an honest worker over its first `tasks` tasks: sampled checks, two guards while new. */
function workerCheckShare(tasks: number, trials: number, random: () => number): number {
  let checks = 0;
  for (let trial = 0; trial < trials; trial++) {
    let stats = emptyReputation();
    for (let task = 0; task < tasks; task++) {
      if (random() >= checkProbabilityFor(stats, DEFAULT_REPLICATION_POLICY)) continue;
      checks += stats.consecutiveValid < 2 * DEFAULT_REPLICATION_POLICY.probationChecks ? 2 : 1;
      stats = recordCheck(stats, 'valid');
    }
  }
  return checks / (tasks * trials);
}

export function printGuardHonestyFigures(options: { trials: number; random: () => number }): void {
  const { trials, random } = options;
  console.log('\nLazy guards (answer "valid" to everything) against planted checks (real checks taken until the first catch)');
  console.log('lazy from                          median   mean     99th percentile');
  for (const [label, honest] of [
    ['its first check', 0],
    ['check 50 (trusted)', 50],
    ['check 300 (veteran)', 300],
  ] as const) {
    const caught = checksUntilCaught(honest, trials, random);
    console.log(`${label.padEnd(35)}${String(caught.median).padEnd(9)}${caught.mean.toFixed(1).padEnd(9)}${caught.p99}`);
  }
  const tasks = 1000;
  const workerShare = workerCheckShare(tasks, Math.min(trials, 1000), random);
  console.log('\nHonest guard: planted ÷ real checks, and verification as a share of worker compute (token-forwards)');
  console.log('guard has done        planted ÷ real   worker checks   + planted   total');
  for (const checks of [100, 1000, 10_000]) {
    const planted = plantedShare(checks, Math.max(20, Math.round(trials / (checks / 100))), random);
    console.log(
      `${String(checks).padEnd(22)}${`${(planted * 100).toFixed(2)}%`.padEnd(17)}${`${(workerShare * 100).toFixed(2)}%`.padEnd(16)}${`${(workerShare * planted * 100).toFixed(2)}%`.padEnd(12)}${(workerShare * (1 + planted) * 100).toFixed(2)}%`,
    );
  }
  console.log(`(worker checks: an honest worker's first ${tasks} tasks, two guards on each check while it is new)`);
}
