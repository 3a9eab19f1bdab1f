/**
 * Adaptive replication, after BOINC: how likely a tab's next result is re-checked by a guard, given how
 * many of its checked results in a row were valid. A new (or just-caught) tab is checked every time for
 * `probationChecks` results; after that the probability falls as 1/N — and never below `floorProbability`.
 *
 * Why a floor: with pure 1/N, a tab that cheats on 5% of tasks builds a long valid streak between lies
 * (undetected lies do not break it), and the chance to catch it within 1,000 tasks is only about 20%.
 * Catching it with 99% needs each lie checked with p where (1 − p)^50 ≤ 0.01, i.e. p ≥ 0.088.
 * `npm run bench:verify` simulates this policy against cheaters and honest tabs and prints the figures.
 */
export interface ReplicationPolicy {
  probationChecks: number;
  floorProbability: number;
}

export const DEFAULT_REPLICATION_POLICY: ReplicationPolicy = { probationChecks: 10, floorProbability: 0.09 };

export function checkProbability(consecutiveValid: number, policy: ReplicationPolicy = DEFAULT_REPLICATION_POLICY): number {
  if (consecutiveValid < policy.probationChecks) return 1;
  return Math.max(policy.floorProbability, 1 / (consecutiveValid - policy.probationChecks + 1));
}
