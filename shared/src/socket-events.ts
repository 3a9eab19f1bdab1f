import { z } from 'zod';
import { wireErrorSchema } from './error-codes.ts';
import { backendSchema, engineIdSchema } from './model-catalog.ts';
import { taskIdSchema, nodeIdSchema } from './ids.ts';
import { publicKeySchema, signatureSchema } from './signing/signed-payloads.ts';
import { jobIdSchema, verifyAssignSchema, verifyErrorSchema, verifyVerdictSchema } from './verification/verify-messages.ts';
import { peerSeedersSchema, peerSeekSchema, peerSignalRelayedSchema, peerSignalSchema } from './peer/peer-signal.ts';
import { taskOutputSchema, taskSpecSchema, taskTimingsSchema, taskUsageSchema } from './task.ts';

/** The socket.io namespace tabs connect to. */
export const WORKER_NAMESPACE = '/worker';

export const workerRoleSchema = z.enum(['worker', 'guard']);
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
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

export const workerHelloSchema = z.strictObject({
  protocolVersion: z.number().int().min(1),
  role: workerRoleSchema,
  /** The tab's Ed25519 public key (raw, base64url), kept in IndexedDB: its identity across visits. */
  publicKey: publicKeySchema,
  capabilities: capabilitiesSchema,
});
export type WorkerHello = z.infer<typeof workerHelloSchema>;

export const workerWelcomeSchema = z.strictObject({
  nodeId: nodeIdSchema,
  heartbeatIntervalMs: z.number().int().min(100),
  leaseMs: z.number().int().min(100),
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
});
export type TaskAssign = z.infer<typeof taskAssignSchema>;

export const taskAcceptSchema = z.strictObject({ taskId: taskIdSchema });
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
  'peer:seek': peerSeekSchema,
  'peer:signal': peerSignalSchema,
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
