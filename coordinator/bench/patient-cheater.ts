/**
 * The patient cheater (part of `npm run bench:verify`): honest for `honestTasks` tasks — long enough to be
 * promoted — then a liar on every task. Counts the lies delivered before its first caught one, under the
 * shipped policy (`checkProbabilityFor`: raised after a promotion, and while the tab behaves unlike itself)
 * and under plain adaptive replication; and the expected figure, (1 − p) / p for the probability p it
 * meets once it lies (no valid check comes while it lies, so p stays put).
 */
import { DEFAULT_REPLICATION_POLICY, checkProbability, checkProbabilityFor, emptyReputation, recordCheck } from '@tessera/shared';
import type { ReputationStats } from '@tessera/shared';
import { DEFAULT_BEHAVIOUR_POLICY } from '../src/reputation/behaviour-watch.ts';

type Policy = 'plain' | 'shipped' | 'shipped, lies look different';

function probability(policy: Policy, stats: ReputationStats, lying: boolean): number {
  if (policy === 'plain') return checkProbability(stats.consecutiveValid);
  // Lies that change the answers' length or speed trip the behaviour watch (tested in behaviour-watch.test.ts).
  const floor = policy === 'shipped, lies look different' && lying ? DEFAULT_BEHAVIOUR_POLICY.watchedFloor : 0;
  return checkProbabilityFor(stats, DEFAULT_REPLICATION_POLICY, floor);
}

/** Lies delivered before the first catch, averaged over `trials` cheaters, and the expected value. */
export function patientCheater(
  policy: Policy,
  honestTasks: number,
  trials: number,
  random: () => number,
): { measured: number; expected: number } {
  let delivered = 0;
  let expected = 0;
  for (let trial = 0; trial < trials; trial++) {
    let stats = emptyReputation();
    for (let task = 0; task < honestTasks; task++) if (random() < probability(policy, stats, false)) stats = recordCheck(stats, 'valid');
    const p = probability(policy, stats, true);
    expected += (1 - p) / p;
    while (random() >= p) delivered++;
  }
  return { measured: delivered / trials, expected: expected / trials };
}

export function printPatientCheaterFigures(options: { trials: number; random: () => number }): void {
  console.log('\nPatient cheater: honest for 40 tasks, then lying on every task (lies delivered before the first is caught)');
  console.log('policy                             measured   expected');
  for (const policy of ['plain', 'shipped', 'shipped, lies look different'] as const) {
    const { measured, expected } = patientCheater(policy, 40, options.trials, options.random);
    const name =
      policy === 'plain'
        ? 'adaptive replication alone'
        : policy === 'shipped'
          ? 'shipped (raised after promotion)'
          : 'shipped, lies change length/speed';
    console.log(`${name.padEnd(35)}${measured.toFixed(2).padEnd(11)}${expected.toFixed(2)}`);
  }
}
