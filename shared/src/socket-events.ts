import { z } from 'zod';
import { wireErrorSchema } from './error-codes.ts';
import { backendSchema, engineIdSchema } from './model-catalog.ts';
import { modelAttestSchema } from './model-attest.ts';
import { taskIdSchema, nodeIdSchema } from './ids.ts';
import { identityProofSchema } from './identity/identity-proof.ts';
import { publicKeySchema, signatureSchema } from './signing/signed-payloads.ts';
import { jobIdSchema, verifyAssignSchema, verifyErrorSchema, verifyVerdictSchema } from './verification/verify-messages.ts';
import { peerReportSchema, peerSeedersSchema, peerSeekSchema, peerSignalRelayedSchema, peerSignalSchema } from './peer/peer-signal.ts';
import { taskOutputSchema, taskSpecSchema, taskTimingsSchema, taskUsageSchema } from './task.ts';
import { embeddedInSchema } from './widget/sites-api.ts';

/** The socket.io namespace tabs connect to. */
export const WORKER_NAMESPACE = '/worker';

/**
 * `worker` runs tasks, `guard` re-checks them, `requester` runs nothing: a page (the playground, a site's
 * widget) that connects only to receive direct streams from the workers of the tasks it submits.
 */
export const workerRoleSchema = z.enum(['worker', 'guard', 'requester']);
export type WorkerRole = z.infer<typeof workerRoleSchema>;

/** What the tab's WebGPU adapter reported, or null when the browser has no WebGPU adapter at all. */
export const gpuInfoSchema = z.strictObject({
  vendor: z.string().max(200),
  architecture: z.string().max(200),
  device: z.string().max(200),
  description: z.string().max(500),
  /** True for software adapters such as SwiftShader: correct but slow, and the page says so. */
  isFallbackAdapter: z.boolean(),
  features: z.array(z.string().max(100)).max(100),
  maxBufferSize: z.number().min(0),
  maxStorageBufferBindingSize: z.number().min(0),
});
export type GpuInfo = z.infer<typeof gpuInfoSchema>;

export const modelStateSchema = z.enum(['loaded', 'cached', 'available']);
export type ModelState = z.infer<typeof modelStateSchema>;

/** A model the tab offers: `loaded` in memory, `cached` on disk, or `available` to download on demand. */
export const offeredModelSchema = z.strictObject({
  id: z.string().min(1).max(200),
  state: modelStateSchema,
  backend: backendSchema,
});
export type OfferedModel = z.infer<typeof offeredModelSchema>;

export const capabilitiesSchema = z.strictObject({
  userAgent: z.string().max(512),
  hardwareConcurrency: z.number().int().min(1).max(1024),
  gpu: gpuInfoSchema.nullable(),
  backends: z.array(backendSchema).max(2),
  engines: z.array(engineIdSchema).max(4),
  models: z.array(offeredModelSchema).max(64),
  /** Decode speed measured on join with the tiny model, when the tab ran the benchmark. */
  benchmarkTokensPerSecond: z.number().min(0).nullable(),
  maxConcurrentTasks: z.number().int().min(1).max(16),
  /** Set by the embeddable widget's frame: the page it runs in, and the site key it carries. */
  embeddedIn: embeddedInSchema.optional(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

export const workerHelloSchema = z.strictObject({
  protocolVersion: z.number().int().min(1),
  role: workerRoleSchema,
  /** The tab's Ed25519 public key (raw, base64url), kept in IndexedDB: its identity across visits. */
  publicKey: publicKeySchema,
  capabilities: capabilitiesSchema,
  /**
   * The nonce of the key's proof of work (identity/identity-proof.ts). Optional in the schema so that a
   * tab without one is told so (`identity_proof_invalid`) rather than failing to parse; workers and guards
   * need one when the coordinator asks for any bits, requesters never do.
   */
  identityProof: identityProofSchema.optional(),
});
export type WorkerHello = z.infer<typeof workerHelloSchema>;

/** One STUN or TURN server, in the shape `RTCPeerConnection` takes. */
export const iceServerSchema = z.strictObject({
  urls: z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(500)).min(1).max(8)]),
  username: z.string().max(500).optional(),
  credential: z.string().max(500).optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

/** A connection's secret for `direct_stream` on `POST /api/v1/tasks`: proves the caller owns the tab. */
export const directStreamKeySchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'a base64url key');

export const workerWelcomeSchema = z.strictObject({
  nodeId: nodeIdSchema,
  heartbeatIntervalMs: z.number().int().min(100),
  leaseMs: z.number().int().min(100),
  /** STUN/TURN servers for peer links (the coordinator's `TESSERA_ICE_SERVERS`); empty: host candidates only. */
  iceServers: z.array(iceServerSchema).max(8),
  directStreamKey: directStreamKeySchema,
});
export type WorkerWelcome = z.infer<typeof workerWelcomeSchema>;

export const workerHeartbeatSchema = z.strictObject({
  activeTaskIds: z.array(taskIdSchema).max(64),
  models: z.array(offeredModelSchema).max(64),
});
export type WorkerHeartbeat = z.infer<typeof workerHeartbeatSchema>;

export const taskAssignSchema = z.strictObject({
  taskId: taskIdSchema,
  /** The tab must answer within this many ms, or the task goes back to the queue. */
  leaseMs: z.number().int().min(100),
  attempt: z.number().int().min(1),
  task: taskSpecSchema,
  /**
   * The tab that submitted the task asked for the text straight over a peer link: open one to `to` (the
   * coordinator introduced the two) and send `task:stream` frames there instead of `task:chunk`s here; on any
   * link failure fall back to `task:chunk`. The signed `task:result` always comes here.
   */
  directStream: z.strictObject({ to: nodeIdSchema }).optional(),
});
export type TaskAssign = z.infer<typeof taskAssignSchema>;

/** Accepts an assignment; sent again while a task streams directly, it renews the lease (no chunks come here). */
export const taskAcceptSchema = z.strictObject({ taskId: taskIdSchema });

/**
 * A busy or leaving tab gives a task it holds to a connected peer: the coordinator moves the lease to `to`
 * (same attempt, no failure counted) and sends it `task:assign`; the sender gets `task:cancel`. A refusal
 * (`handoff_refused`) leaves the task where it was.
 */
export const taskHandoffSchema = z.strictObject({ taskId: taskIdSchema, to: nodeIdSchema });
export type TaskHandoff = z.infer<typeof taskHandoffSchema>;
export type TaskAccept = z.infer<typeof taskAcceptSchema>;

export const taskChunkSchema = z.strictObject({
  taskId: taskIdSchema,
  seq: z.number().int().min(0),
  delta: z.string().max(4096),
});
export type TaskChunk = z.infer<typeof taskChunkSchema>;

export const taskResultSchema = z.strictObject({
  taskId: taskIdSchema,
  output: taskOutputSchema,
  usage: taskUsageSchema,
  timings: taskTimingsSchema,
  /** Ed25519 signature over `resultSigningBytes` (signing/signed-payloads.ts). */
  signature: signatureSchema,
});
export type TaskResult = z.infer<typeof taskResultSchema>;

export const taskErrorSchema = wireErrorSchema.extend({ taskId: taskIdSchema });
export type TaskError = z.infer<typeof taskErrorSchema>;

export const taskCancelSchema = z.strictObject({ taskId: taskIdSchema, reason: z.string().max(500) });
export type TaskCancel = z.infer<typeof taskCancelSchema>;

/** Sent to a tab whose message was refused, so a buggy tab can log why; the message changed nothing. */
export const protocolErrorSchema = z.strictObject({ event: z.string().max(100), error: wireErrorSchema });
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

export const verifyCancelSchema = z.strictObject({ jobId: jobIdSchema, reason: z.string().max(500) });
export type VerifyCancel = z.infer<typeof verifyCancelSchema>;

/** Every event a tab may send, with the schema the coordinator parses it with. */
export const workerToCoordinatorSchemas = {
  'worker:hello': workerHelloSchema,
  'worker:heartbeat': workerHeartbeatSchema,
  'task:accept': taskAcceptSchema,
  'task:chunk': taskChunkSchema,
  'task:result': taskResultSchema,
  'task:error': taskErrorSchema,
  'verify:verdict': verifyVerdictSchema,
  'verify:error': verifyErrorSchema,
  'task:handoff': taskHandoffSchema,
  'peer:seek': peerSeekSchema,
  'peer:signal': peerSignalSchema,
  'peer:report': peerReportSchema,
  'model:attest': modelAttestSchema,
} as const;

/** Every event the coordinator may send, with the schema the tab parses it with. */
export const coordinatorToWorkerSchemas = {
  'worker:welcome': workerWelcomeSchema,
  'task:assign': taskAssignSchema,
  'task:cancel': taskCancelSchema,
  'verify:assign': verifyAssignSchema,
  'verify:cancel': verifyCancelSchema,
  'protocol:error': protocolErrorSchema,
  'peer:seeders': peerSeedersSchema,
  'peer:signal': peerSignalRelayedSchema,
} as const;

type EventMap<Schemas extends Record<string, z.ZodType>> = {
  [Event in keyof Schemas]: (payload: z.infer<Schemas[Event]>) => void;
};

/** socket.io event maps, typed from the schemas: `Socket<CoordinatorToWorkerEvents, WorkerToCoordinatorEvents>` in the tab. */
export type WorkerToCoordinatorEvents = EventMap<typeof workerToCoordinatorSchemas>;
export type CoordinatorToWorkerEvents = EventMap<typeof coordinatorToWorkerSchemas>;
export type WorkerToCoordinatorEvent = keyof WorkerToCoordinatorEvents;
export type CoordinatorToWorkerEvent = keyof CoordinatorToWorkerEvents;
