import { z } from 'zod';
import { wireErrorSchema } from './error-codes.ts';
import { taskIdSchema } from './ids.ts';
import { taskOutputSchema, taskSpecSchema } from './task.ts';
import { parseSocketMessage, type ParseOutcome, type SocketMessage } from './socket-messages.ts';

/**
 * What one coordinator instance tells the others over the shared Redis (scale-out): the events a caller
 * connected to another instance than the tab serving its task must hear. Redis is a trust boundary like a
 * socket: every message is parsed with these schemas on arrival, and one that does not parse is dropped.
 */

/** Streamed text of a task, for the instance whose caller (SSE, or a waiting request) holds the stream. */
export const clusterTaskChunkSchema = z.strictObject({
  taskId: taskIdSchema,
  /** The tab's chunk sequence within its attempt: a receiver drops a repeat or a gap the same way a local stream does. */
  seq: z.number().int().min(0),
  delta: z.string().max(4096),
});
export type ClusterTaskChunk = z.infer<typeof clusterTaskChunkSchema>;

/**
 * A task reached its terminal state. The record itself is read from the shared store (committed before this
 * is published), so the message carries only what the waiting caller needs to know where to look.
 */
export const clusterTaskEndedSchema = z.strictObject({
  taskId: taskIdSchema,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  error: wireErrorSchema.optional(),
});
export type ClusterTaskEnded = z.infer<typeof clusterTaskEndedSchema>;

/**
 * Tasks of a model went back to the shared queue (the instance that took them could not place them): an
 * instance with an idle tab for it claims them now rather than at its next heartbeat.
 */
export const clusterTaskQueuedSchema = z.strictObject({ model: z.string().min(1).max(200) });
export type ClusterTaskQueued = z.infer<typeof clusterTaskQueuedSchema>;

/** A caller on another instance cancelled a task; the instance whose tab runs it stops it. */
export const clusterTaskCancelSchema = z.strictObject({ taskId: taskIdSchema, reason: z.string().max(500) });
export type ClusterTaskCancel = z.infer<typeof clusterTaskCancelSchema>;

/** Instance ids are chosen by each coordinator at start (a UUID); bounded so a bad message cannot bloat a log line. */
export const clusterInstanceIdSchema = z.string().min(1).max(100);

/**
 * The models an instance has guards for now, and their free check slots: sent every second, so an instance
 * whose own guards cannot check a result knows where to ask.
 */
export const clusterGuardsSchema = z.strictObject({
  freeByModel: z.record(z.string().max(200), z.number().int().min(0).max(1_000_000)),
});
export type ClusterGuards = z.infer<typeof clusterGuardsSchema>;

/** A result to be checked by the guards of instance `to`, for the instance whose tab produced it. */
export const clusterCheckRequestSchema = z.strictObject({
  requestId: z.uuid(),
  to: clusterInstanceIdSchema,
  spec: taskSpecSchema,
  claim: taskOutputSchema,
  workerKey: z.string().min(1).max(200),
  workerNetwork: z.string().max(100),
  minTier: z.enum(['trusted', 'veteran']).nullable(),
});
export type ClusterCheckRequest = z.infer<typeof clusterCheckRequestSchema>;

/** How a requested check ended, for the instance that asked (`to`). */
export const clusterCheckOutcomeSchema = z.strictObject({
  requestId: z.uuid(),
  to: clusterInstanceIdSchema,
  verdict: z.enum(['valid', 'invalid', 'unverified', 'disputed']),
  reason: z.string().max(2000),
});
export type ClusterCheckOutcome = z.infer<typeof clusterCheckOutcomeSchema>;

/** Every event that crosses instances, with its schema; names are `noun:verb` like the socket events. */
export const clusterMessageSchemas = {
  'task:chunk': clusterTaskChunkSchema,
  'task:ended': clusterTaskEndedSchema,
  'task:queued': clusterTaskQueuedSchema,
  'task:cancel': clusterTaskCancelSchema,
  'guards:free': clusterGuardsSchema,
  'check:request': clusterCheckRequestSchema,
  'check:outcome': clusterCheckOutcomeSchema,
} as const;

export type ClusterMessage = SocketMessage<typeof clusterMessageSchemas>;

/** One message on the channel: who sent it, and the event. */
export const clusterEnvelopeSchema = z.strictObject({
  from: clusterInstanceIdSchema,
  event: z.string().max(100),
  payload: z.unknown(),
});

export interface ClusterEnvelope {
  from: string;
  message: ClusterMessage;
}

/** The bytes published for `message`: what `parseClusterEnvelope` reads back. */
export function clusterEnvelopeText(from: string, message: ClusterMessage): string {
  return JSON.stringify({ from, event: message.event, payload: message.payload });
}

/** Parses one message as it arrived from Redis (text); never throws. */
export function parseClusterEnvelope(text: string): ParseOutcome<ClusterEnvelope> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const envelope = clusterEnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    return { ok: false, reason: `envelope: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  const parsed = parseSocketMessage(clusterMessageSchemas, envelope.data.event, [envelope.data.payload]);
  if (!parsed.ok) return parsed;
  return { ok: true, message: { from: envelope.data.from, message: parsed.message } };
}
