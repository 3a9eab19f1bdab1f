import type { TaskSpec } from '@tessera/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskApi, TaskRecord } from '../tasks/task-record.ts';
import { waitForTask, type TaskSubmitter } from '../tasks/wait-for-task.ts';
import { cancelWhenClientLeaves } from './abort-when-client-leaves.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, type IdempotencyKeys } from './idempotency-keys.ts';
import { minTierFrom } from './min-tier-header.ts';
import { ANONYMOUS_PRIORITY } from './priorities.ts';
import { terminalError } from './terminal-error.ts';

/** What every API route (OpenAI's, completions, responses, Anthropic, Ollama) needs to run a task. */
export interface ApiTaskOptions {
  tasks: TaskSubmitter;
  /** `Idempotency-Key`: a retry gets the task its first request created. */
  idempotency: Pick<IdempotencyKeys, 'submitOnce'>;
  /** How long the task of a caller that left with an Idempotency-Key waits for its retry. */
  abandonGraceMs: number;
}

export interface SubmittedApiTask {
  record: TaskRecord;
  /** An earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
  /** Aborts when the caller leaves (its task is then cancelled, after the grace a key buys). */
  signal: AbortSignal;
}

/**
 * Submits a request's task the one way every API route does: fail fast (the dispatcher refuses a model no
 * tab serves), `Idempotency-Key` through `submitOnce`, and cancelled when the caller leaves. The tasks are the
 * chat and embeddings tasks of the OpenAI routes (`api` says which shape `GET /api/v1/tasks/{id}` shows).
 */
export function submitApiTask(
  options: ApiTaskOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  task: {
    api: TaskApi;
    spec: TaskSpec;
    /** Tells apart the tasks of one request (`n` choices) under one Idempotency-Key. */ part?: number;
  },
): SubmittedApiTask {
  const header = request.headers[IDEMPOTENCY_KEY_HEADER];
  const key = header === undefined || task.part === undefined ? header : `${String(header)}#${task.part}`;
  const { record, replayed } = options.idempotency.submitOnce({ client: request.ip, key, route: request.url, body: request.body }, () =>
    options.tasks.submit({
      api: task.api,
      spec: task.spec,
      priority: ANONYMOUS_PRIORITY,
      minTier: minTierFrom(request.headers),
      client: request.ip,
    }),
  );
  if (replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  const signal = cancelWhenClientLeaves(reply.raw, options.tasks, record.id, key === undefined ? 0 : options.abandonGraceMs);
  return { record, replayed, signal };
}

/** The finished task with its result, undefined if the caller left first; a task that failed throws its error. */
export async function succeededTask(options: ApiTaskOptions, submitted: SubmittedApiTask): Promise<TaskRecord | undefined> {
  const event = await waitForTask(options.tasks, submitted.record, undefined, submitted.signal);
  if (event === undefined) return undefined;
  if (event.type !== 'succeeded') throw terminalError(event);
  return event.record;
}
