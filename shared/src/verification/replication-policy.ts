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
  /**
   * Checks after a tier change (promotion to trusted, or to veteran) during which the probability stays at
   * least `promotedFloor`: a patient cheater that waited for its promotion to start lying meets more
   * checks exactly then, while an honest tab pays a few extra checks once per promotion. 15 checks at 0.2
   * is what keeps an honest tab's re-checked share under 10% (9.9%) in `npm run bench:verify` while a
   * cheater that starts lying after 40 honest tasks gets 4 lies through on average instead of 7.
   */
  promotionWindow: number;
  promotedFloor: number;
}

export const DEFAULT_REPLICATION_POLICY: ReplicationPolicy = {
  probationChecks: 10,
  floorProbability: 0.08,
  promotionWindow: 15,
  promotedFloor: 0.2,
};

export function checkProbability(consecutiveValid: number, policy: ReplicationPolicy = DEFAULT_REPLICATION_POLICY): number {
  if (consecutiveValid < policy.probationChecks) return 1;
  return Math.max(policy.floorProbability, 1 / (consecutiveValid - policy.probationChecks + 1));
}

/** Valid checks, with none invalid, after which a tab is a veteran (`tierOf`). */
export const VETERAN_AFTER_VALID_CHECKS = 200;

/**
 * The check probability for a tab's whole record: `checkProbability`, raised to `promotedFloor` for the
 * `promotionWindow` checks after each tier change, and to `raisedFloor` when the coordinator sees the tab
 * behave unlike itself (a sudden change of speed or answer length: `BehaviourWatch`).
 */
export function checkProbabilityFor(
  stats: { consecutiveValid: number; validChecks: number; invalidChecks: number },
  policy: ReplicationPolicy = DEFAULT_REPLICATION_POLICY,
  raisedFloor = 0,
): number {
  const base = checkProbability(stats.consecutiveValid, policy);
  const sincePromotion = stats.consecutiveValid - policy.probationChecks;
  const sinceVeteran = stats.invalidChecks === 0 ? stats.validChecks - VETERAN_AFTER_VALID_CHECKS : -1;
  const justPromoted =
    (sincePromotion >= 0 && sincePromotion < policy.promotionWindow) || (sinceVeteran >= 0 && sinceVeteran < policy.promotionWindow);
  return Math.max(base, justPromoted ? policy.promotedFloor : 0, raisedFloor);
}
