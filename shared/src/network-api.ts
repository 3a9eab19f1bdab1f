import { z } from 'zod';
import { gpuInfoSchema, offeredModelSchema, workerRoleSchema } from './socket-events.ts';
import { reputationViewSchema } from './verification/reputation.ts';

export const networkNodeSchema = z.object({
  nodeId: z.string(),
  role: workerRoleSchema,
  connectedAt: z.number().int(),
  lastSeenAt: z.number().int(),
  gpu: gpuInfoSchema.nullable(),
  backends: z.array(z.string()),
  models: z.array(offeredModelSchema),
  activeTasks: z.number().int(),
  maxConcurrentTasks: z.number().int(),
  completedTasks: z.number().int(),
  failedTasks: z.number().int(),
  tokensPerSecond: z.number().nullable(),
  /** First characters of the tab's public key: stable across its visits, unlike nodeId. */
  keyFingerprint: z.string(),
  reputation: reputationViewSchema,
  /** Models this tab may not serve: it failed their known-answer check (on join or later), or its files differ from a pin. */
  refusedModels: z.array(z.string()),
  /** Guards: checks done and verdicts given. */
  verdicts: z.object({ valid: z.number().int(), invalid: z.number().int() }),
});
export type NetworkNode = z.infer<typeof networkNodeSchema>;

export const networkSnapshotSchema = z.object({
  nodes: z.array(networkNodeSchema),
  queue: z.object({ queued: z.number().int(), assigned: z.number().int(), byModel: z.record(z.string(), z.number().int()) }),
  totals: z.object({ succeeded: z.number().int(), failed: z.number().int(), cancelled: z.number().int() }),
  verification: z.object({
    checked: z.number().int(),
    caught: z.number().int(),
    unverifiedForLackOfGuards: z.number().int(),
    /** Results of models whose engine guards cannot check (web-llm): delivered `unverified`, paid at the probation rate. */
    uncheckableEngine: z.number().int(),
    pending: z.number().int(),
  }),
  throughput: z.object({ tasksPerMinute: z.number(), tokensPerSecond: z.number() }),
  uptimeSeconds: z.number(),
});
export type NetworkSnapshot = z.infer<typeof networkSnapshotSchema>;
