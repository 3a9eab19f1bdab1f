import type { FastifyBaseLogger } from 'fastify';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { CoordinatorEventBus } from './coordinator-events.ts';

/**
 * One `info` line per task, when it ends: model, kind, the tab that served it, how long it took from
 * submission, how many attempts, and the outcome. An operator reads the network's work from these lines;
 * the requests that carried it are logged at `debug` only.
 */
export function logTaskLifecycle(events: CoordinatorEventBus, logger: FastifyBaseLogger): void {
  const summary = (record: TaskRecord) => ({
    taskId: record.id,
    model: record.spec.model,
    kind: record.spec.kind,
    ms: (record.finishedAt ?? Date.now()) - record.createdAt,
    attempts: record.attempts,
  });
  events.on('task:succeeded', ({ record, result, worker }) =>
    logger.info(
      { ...summary(record), tab: worker.key.fingerprint, tokens: result.usage.completionTokens, check: result.check },
      `task succeeded: ${record.spec.kind} on ${record.spec.model}`,
    ),
  );
  events.on('task:failed', ({ record, error }) =>
    logger.info({ ...summary(record), code: error.code }, `task failed: ${record.spec.kind} on ${record.spec.model} (${error.code})`),
  );
  events.on('task:cancelled', ({ record }) => logger.info(summary(record), `task cancelled: ${record.spec.kind} on ${record.spec.model}`));
}
