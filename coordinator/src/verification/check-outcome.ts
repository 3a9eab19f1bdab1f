import type { TaskResult, TaskSpec } from '@tessera/shared';
import type { TierRequirement } from '../placement/eligibility.ts';
import type { WorkerSession } from '../workers/worker-session.ts';

/**
 * How a checked result ended: confirmed, caught, not checkable (no guard, guards timed out), or disputed
 * (guards disagree with no majority: withheld and run again elsewhere, nobody blamed).
 */
export type CheckOutcome = { verdict: 'valid' | 'invalid' | 'unverified' | 'disputed'; reason: string };

/** Whether a guard checks an attempt's result before delivery (`unverifiable`: sampled, but no guard can). */
export type CheckDecision = 'check' | 'skip' | 'unverifiable';

/** The part of the verifier the dispatcher uses. */
export interface ResultChecker {
  /** `minTier`: the standing the caller asked of every tab that sees the task, guards included. */
  sampleCheck(worker: WorkerSession, spec: TaskSpec, minTier: TierRequirement): CheckDecision;
  check(request: { spec: TaskSpec; claim: TaskResult['output']; worker: WorkerSession; minTier: TierRequirement }): Promise<CheckOutcome>;
}
