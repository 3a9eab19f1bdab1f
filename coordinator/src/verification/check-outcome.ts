import type { TaskResult, TaskSpec } from '@tessera/shared';
import type { WorkerSession } from '../workers/worker-session.ts';

/** How a checked result ended: confirmed, caught, or not checkable (no guard, guards timed out). */
export type CheckOutcome = { verdict: 'valid' | 'invalid' | 'unverified'; reason: string };

/** Whether a guard checks an attempt's result before delivery (`unverifiable`: sampled, but no guard can). */
export type CheckDecision = 'check' | 'skip' | 'unverifiable';

/** The part of the verifier the dispatcher uses. */
export interface ResultChecker {
  sampleCheck(worker: WorkerSession, spec: TaskSpec): CheckDecision;
  check(request: { spec: TaskSpec; claim: TaskResult['output']; worker: WorkerSession }): Promise<CheckOutcome>;
}
