import { z } from 'zod';
import { DEFAULT_REPLICATION_POLICY, VETERAN_AFTER_VALID_CHECKS, type ReplicationPolicy } from './replication-policy.ts';

/** What the coordinator remembers about a tab's key across connections. */
export interface ReputationStats {
  /** Checked results that a guard confirmed. */
  validChecks: number;
  /** Checked results confirmed wrong (after a second guard, where one was available). */
  invalidChecks: number;
  /** Valid checks since the last invalid one; drives the check probability. */
  consecutiveValid: number;
  /** Results delivered, checked or not. */
  tasksCompleted: number;
  /** Tasks that failed on this tab (errors, lost leases, disconnects mid-task). */
  tasksFailed: number;
  /** Seconds connected, summed over sessions. */
  uptimeSeconds: number;
  /** Moving averages, null until measured. */
  latencyMs: number | null;
  tokensPerSecond: number | null;
}

export const tierSchema = z.enum(['banned', 'demoted', 'probation', 'trusted', 'veteran']);
export type Tier = z.infer<typeof tierSchema>;

/** Placement order: lower is preferred; banned tabs get no work at all. */
export const TIER_PLACEMENT_RANK: Record<Tier, number> = { veteran: 0, trusted: 0, probation: 1, demoted: 2, banned: Infinity };

/** Reward multiplier per tier (used by the ledger, issue 4). */
export const TIER_REWARD_MULTIPLIER: Record<Tier, number> = { veteran: 1.2, trusted: 1, probation: 1, demoted: 0.5, banned: 0 };

export const BANNED_AFTER_INVALID_CHECKS = 3;

export function emptyReputation(): ReputationStats {
  return {
    validChecks: 0,
    invalidChecks: 0,
    consecutiveValid: 0,
    tasksCompleted: 0,
    tasksFailed: 0,
    uptimeSeconds: 0,
    latencyMs: null,
    tokensPerSecond: null,
  };
}

/**
 * The tier follows from the record: caught three times → banned; caught and not yet rehabilitated by a
 * full probation of valid checks → demoted; new → probation; then trusted; a long clean record → veteran.
 */
export function tierOf(stats: ReputationStats, policy: ReplicationPolicy = DEFAULT_REPLICATION_POLICY): Tier {
  if (stats.invalidChecks >= BANNED_AFTER_INVALID_CHECKS) return 'banned';
  if (stats.invalidChecks > 0 && stats.consecutiveValid < policy.probationChecks * 2) return 'demoted';
  if (stats.consecutiveValid < policy.probationChecks) return 'probation';
  if (stats.invalidChecks === 0 && stats.validChecks >= VETERAN_AFTER_VALID_CHECKS) return 'veteran';
  return 'trusted';
}

/** Laplace-smoothed share of checks passed: 0.5 for a tab never checked. */
export function accuracyOf(stats: ReputationStats): number {
  return (stats.validChecks + 1) / (stats.validChecks + stats.invalidChecks + 2);
}

export function recordCheck(stats: ReputationStats, verdict: 'valid' | 'invalid'): ReputationStats {
  return verdict === 'valid'
    ? { ...stats, validChecks: stats.validChecks + 1, consecutiveValid: stats.consecutiveValid + 1 }
    : { ...stats, invalidChecks: stats.invalidChecks + 1, consecutiveValid: 0 };
}

export const reputationViewSchema = z.object({
  tier: tierSchema,
  accuracy: z.number(),
  validChecks: z.number().int(),
  invalidChecks: z.number().int(),
  consecutiveValid: z.number().int(),
  checkProbability: z.number(),
});
export type ReputationView = z.infer<typeof reputationViewSchema>;
