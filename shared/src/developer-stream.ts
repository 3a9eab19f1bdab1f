import { z } from 'zod';
import { wireErrorSchema } from './error-codes.ts';
import { taskIdSchema } from './ids.ts';
import { taskStatusSchema } from './task.ts';
import { taskViewSchema } from './tasks-api.ts';

/**
 * The developers' task stream: socket.io namespace `/api`, authenticated with an API key, over which a key
 * hears its own tasks' status changes, streamed text and ends without polling. Every payload is a strict
 * object parsed on arrival with `parseSocketMessage` over these maps, as on `/worker`.
 */
export const API_NAMESPACE = '/api';

/** Subscriptions one connection may hold at once (`tasks:subscribe-own` counts as one). */
export const API_STREAM_SUBSCRIPTIONS_PER_CONNECTION = 100;
/** Subscriptions one key may hold at once on one instance, over all its connections. */
export const API_STREAM_SUBSCRIPTIONS_PER_KEY = 1000;

/**
 * The handshake's `auth` (`io(url + '/api', { auth: { key } })`); an `Authorization: Bearer` header is read
 * when it has none. Not strict: socket.io clients may add fields of their own.
 */
export const apiStreamAuthSchema = z.object({ key: z.string().min(1).max(200) });

export const taskSubscribeSchema = z.strictObject({ taskId: taskIdSchema });
export type TaskSubscribe = z.infer<typeof taskSubscribeSchema>;
export const taskUnsubscribeSchema = z.strictObject({ taskId: taskIdSchema });
export const ownTasksSubscribeSchema = z.strictObject({});

/** What a developer's client may send on `/api`. */
export const apiClientToServerSchemas = {
  'task:subscribe': taskSubscribeSchema,
  'task:unsubscribe': taskUnsubscribeSchema,
  'tasks:subscribe-own': ownTasksSubscribeSchema,
} as const;

/** A task's status or attempt count changed (and once at the start of each subscription, as it is then). */
export const apiTaskStatusSchema = z.strictObject({ taskId: taskIdSchema, status: taskStatusSchema, attempts: z.number().int().min(0) });
export type ApiTaskStatus = z.infer<typeof apiTaskStatusSchema>;

/** Streamed text of a chat task, in order, never repeated across retries. */
export const apiTaskChunkSchema = z.strictObject({ taskId: taskIdSchema, delta: z.string() });
export type ApiTaskChunk = z.infer<typeof apiTaskChunkSchema>;

/** The task ended: the same view as `GET /api/v1/tasks/{id}`. The subscription ends with it. */
export const apiTaskEndedSchema = z.strictObject({ task: taskViewSchema });
export type ApiTaskEnded = z.infer<typeof apiTaskEndedSchema>;

/** The client's message `event` was refused and changed nothing. */
export const apiStreamErrorSchema = z.strictObject({
  event: z.string().max(100),
  taskId: taskIdSchema.optional(),
  error: wireErrorSchema,
});
export type ApiStreamError = z.infer<typeof apiStreamErrorSchema>;

/** What the coordinator may send on `/api`. */
export const apiServerToClientSchemas = {
  'task:status': apiTaskStatusSchema,
  'task:chunk': apiTaskChunkSchema,
  'task:ended': apiTaskEndedSchema,
  'api:error': apiStreamErrorSchema,
} as const;

/** The answer to a client event sent with an acknowledgement callback. */
export const apiStreamAckSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true) }),
  z.strictObject({ ok: z.literal(false), error: wireErrorSchema }),
]);
export type ApiStreamAck = z.infer<typeof apiStreamAckSchema>;

type Handlers<Schemas extends Record<string, z.ZodType>> = {
  [Event in keyof Schemas]: (payload: z.infer<Schemas[Event]>, ack?: (answer: ApiStreamAck) => void) => void;
};

/** socket.io event maps for both ends of `/api`. */
export type ApiClientToServerEvents = Handlers<typeof apiClientToServerSchemas>;
export type ApiServerToClientEvents = {
  [Event in keyof typeof apiServerToClientSchemas]: (payload: z.infer<(typeof apiServerToClientSchemas)[Event]>) => void;
};
