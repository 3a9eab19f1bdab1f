import { z } from 'zod';
import { wireErrorSchema } from './error-codes.ts';
import { nodeIdSchema, taskIdSchema } from './ids.ts';
import { MAX_SEEDERS_PER_SEEK, peerSignalRelayedSchema } from './peer/peer-signal.ts';
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

const modelIdSchema = z.string().min(1).max(200);

/**
 * Tabs of the sender that could seed each model now (loaded or cached, not reported), least introduced
 * first: sent every second, so a tab on another instance that seeks the model can be introduced to them.
 * It also says the sender lives: tabs known through an instance that stopped sending are forgotten.
 */
export const clusterSeedersSchema = z.strictObject({
  byModel: z.record(modelIdSchema, z.array(nodeIdSchema).max(MAX_SEEDERS_PER_SEEK)),
});
export type ClusterSeeders = z.infer<typeof clusterSeedersSchema>;

/** The sender introduced its tab `local` to tab `remote`, connected to the receiver: the pair may signal each other. */
export const clusterPeerIntroduceSchema = z.strictObject({ local: nodeIdSchema, remote: nodeIdSchema });
export type ClusterPeerIntroduce = z.infer<typeof clusterPeerIntroduceSchema>;

/** A `peer:signal` from the sender's tab `from` to tab `to` on another instance, checked as introduced by both. */
export const clusterPeerSignalSchema = peerSignalRelayedSchema;

/** A tab of the sender reported seeder `about` (on the receiver) for bad bytes; counted once per reporting key there. */
export const clusterPeerReportSchema = z.strictObject({
  about: nodeIdSchema,
  modelId: modelIdSchema,
  reporterKey: z.string().min(1).max(200),
});
export type ClusterPeerReport = z.infer<typeof clusterPeerReportSchema>;

/** A tab left the sender: its introductions to tabs elsewhere end. */
export const clusterPeerGoneSchema = z.strictObject({ nodeId: nodeIdSchema });

/**
 * Whichever instance holds tab `target` is asked whether it may take task `taskId` (model, caller-asked
 * standing) from a tab of the sender (`from`) it was introduced to; it answers with `handoff:answer`.
 */
export const clusterHandoffAskSchema = z.strictObject({
  requestId: z.uuid(),
  taskId: taskIdSchema,
  from: nodeIdSchema,
  target: nodeIdSchema,
  model: modelIdSchema,
  minTier: z.enum(['trusted', 'veteran']).nullable(),
});
export type ClusterHandoffAsk = z.infer<typeof clusterHandoffAskSchema>;

/** The asked instance's answer: null, the tab may take it; otherwise why not. */
export const clusterHandoffAnswerSchema = z.strictObject({
  requestId: z.uuid(),
  to: clusterInstanceIdSchema,
  refusal: z.string().max(500).nullable(),
});
export type ClusterHandoffAnswer = z.infer<typeof clusterHandoffAnswerSchema>;

/**
 * The task moved (committed: its lease is the target's, and the receiver owns it): the receiver opens it and
 * gives it to `target`, with the requester tab it streams to directly, if any.
 */
export const clusterHandoffMovedSchema = z.strictObject({
  to: clusterInstanceIdSchema,
  taskId: taskIdSchema,
  target: nodeIdSchema,
  directTo: nodeIdSchema.nullable(),
});
export type ClusterHandoffMoved = z.infer<typeof clusterHandoffMovedSchema>;

/** Models some tab of the sender may serve soon, and how many serve each now: sent every second, so a task no instance could serve fails fast. */
export const clusterModelsServableSchema = z.strictObject({
  models: z.array(modelIdSchema).max(1000),
  /** Worker tabs of the sender serving each model now (known-answer check passed). */
  online: z.record(modelIdSchema, z.number().int().min(0).max(10_000_000)),
});

/** Every event that crosses instances, with its schema; names are `noun:verb` like the socket events. */
export const clusterMessageSchemas = {
  'task:chunk': clusterTaskChunkSchema,
  'task:ended': clusterTaskEndedSchema,
  'task:queued': clusterTaskQueuedSchema,
  'task:cancel': clusterTaskCancelSchema,
  'guards:free': clusterGuardsSchema,
  'check:request': clusterCheckRequestSchema,
  'check:outcome': clusterCheckOutcomeSchema,
  'peers:seeders': clusterSeedersSchema,
  'peer:introduce': clusterPeerIntroduceSchema,
  'peer:signal': clusterPeerSignalSchema,
  'peer:report': clusterPeerReportSchema,
  'peer:gone': clusterPeerGoneSchema,
  'handoff:ask': clusterHandoffAskSchema,
  'handoff:answer': clusterHandoffAnswerSchema,
  'handoff:moved': clusterHandoffMovedSchema,
  'models:servable': clusterModelsServableSchema,
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
