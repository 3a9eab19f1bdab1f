import { TesseraError, createTaskRequestSchema, taskIdParamsSchema, taskIdSchema, taskViewSchema } from '@tessera/shared';
import type { DirectStreamRequest, NodeId, TaskId } from '@tessera/shared';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ANONYMOUS_PRIORITY, type CoordinatorContext } from '../coordinator-context.ts';
import type { TaskRecord } from '../queue/task-record.ts';
import { chatRequestToSpec, embeddingRequestToSpec, taskView } from './openai-mapping.ts';

/** The connection `direct_stream` names, if it is connected and the key is its own. */
function directStreamTarget(context: CoordinatorContext, request: DirectStreamRequest): NodeId {
  const session = context.registry.get(request.node_id);
  const given = Buffer.from(request.stream_key);
  const known = Buffer.from(session?.directStreamKey ?? '');
  if (session === undefined || given.length !== known.length || !timingSafeEqual(given, known)) {
    throw new TesseraError('direct_stream_refused', 'direct_stream names no connected tab with that key; connect the page to /worker and use the node_id and directStreamKey of its worker:welcome.', 'direct_stream');
  }
  return session.nodeId;
}

function findTask(context: CoordinatorContext, id: string): TaskRecord {
  const parsed = taskIdSchema.safeParse(id);
  const record = parsed.success ? context.dispatcher.get(parsed.data) : undefined;
  if (record === undefined) throw new TesseraError('task_not_found', `No task with id '${id}'.`, 'id');
  return record;
}

/** Native asynchronous tasks: submit and come back later. Results survive a coordinator restart. */
export function registerTasksRoute(app: FastifyInstance, context: CoordinatorContext): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const view = (record: TaskRecord) => taskView(record, context.dispatcher.queuePosition(record));

  typed.post(
    '/api/v1/tasks',
    { schema: { tags: ['Tasks'], summary: 'Queue a task and answer at once with its id (202)', body: createTaskRequestSchema, response: { 202: taskViewSchema } } },
    async (request, reply) => {
      const body = request.body;
      const spec = body.type === 'chat.completion' ? chatRequestToSpec(context.catalog, body.request) : embeddingRequestToSpec(context.catalog, body.request);
      const directTo = body.type === 'chat.completion' && body.direct_stream !== undefined ? directStreamTarget(context, body.direct_stream) : null;
      const record = context.dispatcher.submit({ api: body.type, spec, priority: ANONYMOUS_PRIORITY, directTo });
      if (directTo !== null) context.metrics.directStreamAssigned();
      return reply.code(202).header('location', `/api/v1/tasks/${record.id}`).send(view(record));
    },
  );

  typed.get(
    '/api/v1/tasks/:id',
    { schema: { tags: ['Tasks'], summary: 'Status, queue position and result of a task', params: taskIdParamsSchema, response: { 200: taskViewSchema } } },
    async (request) => view(findTask(context, request.params.id)),
  );

  typed.delete(
    '/api/v1/tasks/:id',
    { schema: { tags: ['Tasks'], summary: 'Cancel a queued or running task', params: taskIdParamsSchema, response: { 200: taskViewSchema } } },
    async (request) => {
      const record = findTask(context, request.params.id);
      const cancelled = context.dispatcher.cancel(record.id satisfies TaskId, 'cancelled by the caller');
      if (cancelled === undefined) throw new TesseraError('task_already_finished', `Task '${record.id}' already ${record.status}.`, 'id');
      return view(cancelled);
    },
  );
}
