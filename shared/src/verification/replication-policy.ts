/**
 * Adaptive replication, after BOINC: how likely a tab's next result is re-checked by a guard, given how
 * many of its checked results in a row were valid. A new (or just-caught) tab is checked every time for
 * `probationChecks` results; after that the probability falls as 1/N — and never below `floorProbability`.
 *
 * Why a floor: with pure 1/N, a tab that cheats on 5% of tasks builds a long valid streak between lies
 * (undetected lies do not break it), and the chance to catch it within 1,000 tasks is only about 20%.
 * Past probation its ~50 lies in 1,000 tasks are each checked with at least p, so (1 − p)^50 bounds the
 * miss; probation itself catches 40% of such cheaters outright. 0.08 is the floor that meets both goals
 * with margin in `npm run bench:verify` (a 5% cheater caught with 99.3% probability within 1,000 tasks; an
 * honest tab re-checked on 9.5% of its tasks) — 0.09 catches 99.5% but costs 10.4%.
 */
export interface ReplicationPolicy {
  probationChecks: number;
  floorProbability: number;
}

export const DEFAULT_REPLICATION_POLICY: ReplicationPolicy = { probationChecks: 10, floorProbability: 0.08 };

export function checkProbability(consecutiveValid: number, policy: ReplicationPolicy = DEFAULT_REPLICATION_POLICY): number {
  if (consecutiveValid < policy.probationChecks) return 1;
  return Math.max(policy.floorProbability, 1 / (consecutiveValid - policy.probationChecks + 1));
}
