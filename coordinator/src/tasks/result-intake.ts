import { outputMatchesSpec, wireError } from '@tessera/shared';
import type { TaskResult, WireError } from '@tessera/shared';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { CheckOutcome, ResultChecker } from '../verification/check-outcome.ts';
import type { WorkCounter } from '../work/work-counter.ts';
import { OK, refusal, type WorkerMessageOutcome } from '../workers/worker-message-outcome.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { OpenTask } from './open-task.ts';
import type { TaskBook } from './task-book.ts';

export interface ResultIntakeOptions {
  book: TaskBook;
  events: CoordinatorEventBus;
  /** The coordinator's own count of each result's work; without one, usage is taken as sent. */
  counter?: Pick<WorkCounter, 'count'>;
  /** Guards' re-checks; without one, no result is checked. */
  checker?: ResultChecker;
  /**
   * The attempt failed (the dispatcher retries the task elsewhere, or fails it when attempts ran out);
   * `byTab`: the tab is to blame (a wrong result), not a dispute it may have no part in.
   */
  attemptFailed: (task: OpenTask, worker: WorkerSession, cause: WireError, byTab?: boolean) => void;
  now: () => number;
}

/**
 * What becomes of a tab's result (its signature already verified by the gateway): it must answer the
 * task; its work is counted by the coordinator (usage) and its timings measured by the coordinator's
 * clock, whatever the tab said of either; a result that does not hold up to the count is refused like a
 * caught one; a sampled one waits for the guards; then it is stored and delivered.
 */
export class ResultIntake {
  readonly #options: ResultIntakeOptions;

  constructor(options: ResultIntakeOptions) {
    this.#options = options;
  }

  async take(task: OpenTask, session: WorkerSession, sent: TaskResult): Promise<WorkerMessageOutcome> {
    const { book, counter, checker, events } = this.#options;
    if (!outputMatchesSpec(task.record.spec, sent.output)) {
      this.#options.attemptFailed(
        task,
        session,
        wireError('protocol_violation', 'The tab returned a result that does not answer the task.'),
      );
      return refusal('protocol_violation', 'The result does not match the task (kind, count or length).');
    }
    session.activeTasks.delete(task.record.id);
    const timings = {
      firstTokenMs: task.firstChunkAt === null ? null : task.firstChunkAt - task.attemptStartedAt,
      totalMs: this.#options.now() - task.attemptStartedAt,
    };
    let usage = sent.usage;
    if (counter !== undefined) {
      book.hold(task);
      const audit = await counter.count(task.record.spec, sent.output);
      if (!book.resume(task)) return OK;
      if ('uncountable' in audit) {
        book.fail(
          task,
          wireError('model_unavailable', `Tessera cannot count the work of ${task.record.spec.model}: ${audit.uncountable}.`),
        );
        return OK;
      }
      if (!audit.ok) {
        const reason = `the coordinator's count refutes it: ${audit.reason}`;
        events.emit('verify:checked', { workerKey: session.key.publicKey, verdict: 'invalid', reason });
        this.#options.attemptFailed(task, session, wireError('result_refused', `The tab's result was refused: ${audit.reason}`));
        return refusal('result_refused', `The result was refused: ${audit.reason}.`);
      }
      usage = audit.usage;
    }
    const result: TaskResult = { ...sent, usage, timings };
    if (task.check === 'check' && checker !== undefined) {
      book.hold(task);
      void checker
        .check({ spec: task.record.spec, claim: result.output, worker: session, minTier: task.record.minTier })
        .then((outcome) => this.#afterCheck(task, session, result, outcome));
    } else {
      book.succeed(task, session, result, task.check === 'unverifiable' ? 'unverified' : 'unchecked');
    }
    return OK;
  }

  #afterCheck(task: OpenTask, session: WorkerSession, result: TaskResult, outcome: CheckOutcome): void {
    if (!this.#options.book.resume(task)) return;
    if (outcome.verdict === 'invalid') {
      this.#options.attemptFailed(task, session, wireError('task_failed', `A guard found the tab's result wrong: ${outcome.reason}`));
      return;
    }
    if (outcome.verdict === 'disputed') {
      // Never delivered while its guards disagree: another tab runs it, and nobody is blamed.
      this.#options.attemptFailed(task, session, wireError('task_failed', `Guards disagree on the tab's result: ${outcome.reason}`), false);
      return;
    }
    this.#options.book.succeed(task, session, result, outcome.verdict === 'valid' ? 'passed' : 'unverified');
  }
}
