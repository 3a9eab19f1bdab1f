import {
  TesseraError,
  createTaskRequestSchema,
  createdTaskViewSchema,
  taskIdParamsSchema,
  taskIdSchema,
  taskViewSchema,
} from '@tessera/shared';
import type { DirectStreamRequest, NodeId, TaskId } from '@tessera/shared';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ModelCatalogEntry } from '@tessera/shared';
import type { CoordinatorMetrics } from '../http/coordinator-metrics.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import { assertMayCancel, newCancelToken } from './cancel-token.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, type IdempotencyKeys } from './idempotency-keys.ts';
import { minTierFrom } from './min-tier-header.ts';
import { roomForBody } from './room-for-body.ts';
import { ANONYMOUS_PRIORITY } from './priorities.ts';
import { chatRequestToSpec, embeddingRequestToSpec, taskView } from './openai-mapping.ts';
import type { WebhookIntake } from '../developer-stream/webhook-intake.ts';

/** The connection `direct_stream` names, if it is connected and the key is its own. */
function directStreamTarget(context: TasksRouteOptions, request: DirectStreamRequest): NodeId {
  const session = context.registry.get(request.node_id);
  const given = Buffer.from(request.stream_key);
  const known = Buffer.from(session?.directStreamKey ?? '');
  if (session === undefined || given.length !== known.length || !timingSafeEqual(given, known)) {
    throw new TesseraError(
      'direct_stream_refused',
      'direct_stream names no connected tab with that key; connect the page to /worker and use the node_id and directStreamKey of its worker:welcome.',
      'direct_stream',
    );
  }
  return session.nodeId;
}

function findTask(context: TasksRouteOptions, id: string): TaskRecord {
  const parsed = taskIdSchema.safeParse(id);
  const record = parsed.success ? context.tasks.get(parsed.data) : undefined;
  if (record === undefined) throw new TesseraError('task_not_found', `No task with id '${id}'.`, 'id');
  return record;
}

export interface TasksRouteOptions {
  catalog: readonly ModelCatalogEntry[];
  tasks: Pick<Dispatcher, 'submit' | 'get' | 'cancel' | 'queuePosition' | 'assertRoomFor'>;
  /** Connected tabs, to check a `direct_stream` request's key. */
  registry: Pick<WorkerRegistry, 'get'>;
  metrics: Pick<CoordinatorMetrics, 'directStreamAssigned'>;
  /** `Idempotency-Key`: a retry gets the task its first request created. */
  idempotency: Pick<IdempotencyKeys, 'submitOnce'>;
  /** `webhook_url`: refused at once, or delivered when the task ends. */
  webhooks: Pick<WebhookIntake, 'accept' | 'register'>;
}

/** Native asynchronous tasks: submit and come back later. Results survive a coordinator restart. */
export const tasksRoute: FastifyPluginAsync<TasksRouteOptions> = async (app, context) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const view = (record: TaskRecord) => taskView(record, context.tasks.queuePosition(record));

  typed.post(
    '/api/v1/tasks',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['Tasks'],
        summary:
          'Queue a task and answer at once with its id and, once only, the cancel_token that lets you cancel it (202); a retry with the same Idempotency-Key gets the same task without it (200)',
        body: createTaskRequestSchema,
        response: { 200: taskViewSchema, 202: createdTaskViewSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const spec =
        body.type === 'chat.completion'
          ? chatRequestToSpec(context.catalog, body.request)
          : embeddingRequestToSpec(context.catalog, body.request);
      const directTo =
        body.type === 'chat.completion' && body.direct_stream !== undefined ? directStreamTarget(context, body.direct_stream) : null;
      // Checked before anything is stored: a refused webhook leaves no task behind.
      const webhook = body.webhook_url === undefined ? null : await context.webhooks.accept(body.webhook_url);
      const cancel = newCancelToken();
      const { record, replayed } = context.idempotency.submitOnce(
        { client: request.ip, key: request.headers[IDEMPOTENCY_KEY_HEADER], route: request.url, body },
        () => {
          const submitted = context.tasks.submit({
            api: body.type,
            spec,
            priority: ANONYMOUS_PRIORITY,
            minTier: minTierFrom(request.headers),
            client: request.ip,
            directTo,
            waitForTab: body.wait_for_tab === true,
            cancelTokenHash: cancel.hash,
          });
          if (webhook !== null) context.webhooks.register(submitted.id, webhook);
          return submitted;
        },
      );
      // The cancel token was shown once, to the first request: a replay gets the task without it.
      if (replayed) return reply.code(200).header(IDEMPOTENT_REPLAYED_HEADER, 'true').send(view(record));
      if (directTo !== null) context.metrics.directStreamAssigned();
      return reply
        .code(202)
        .header('location', `/api/v1/tasks/${record.id}`)
        .send({ ...view(record), cancel_token: cancel.token });
    },
  );

  typed.get(
    '/api/v1/tasks/:id',
    {
      schema: {
        tags: ['Tasks'],
        summary: 'Status, queue position and result of a task',
        params: taskIdParamsSchema,
        response: { 200: taskViewSchema },
      },
    },
    async (request) => view(findTask(context, request.params.id)),
  );

  typed.delete(
    '/api/v1/tasks/:id',
    {
      schema: {
        tags: ['Tasks'],
        summary: 'Cancel a queued or running task; only its submitter can (x-tessera-cancel-token: the cancel_token of the 202)',
        params: taskIdParamsSchema,
        response: { 200: taskViewSchema },
      },
    },
    async (request) => {
      const record = findTask(context, request.params.id);
      assertMayCancel(request.headers, record.cancelTokenHash);
      const cancelled = context.tasks.cancel(record.id satisfies TaskId, 'cancelled by the caller');
      if (cancelled === undefined) throw new TesseraError('task_already_finished', `Task '${record.id}' already ${record.status}.`, 'id');
      return view(cancelled);
    },
  );
};
