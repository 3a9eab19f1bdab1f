import { z } from 'zod';
import { networkSnapshotSchema } from './network-api.ts';

/** The socket.io namespace the dashboard listens on: pushed snapshots and the coordinator's history. */
export const OBSERVERS_NAMESPACE = '/observers';

const percentilesSchema = z.object({ p50: z.number(), p95: z.number() });

/**
 * What the network looked like over one sampling interval, as the coordinator measured it. Rates and
 * percentiles cover the interval alone (not since start), so a chart of samples shows change, not totals.
 */
export const observerSampleSchema = z.object({
  /** End of the interval, epoch milliseconds. */
  at: z.number().int(),
  tabs: z.object({ worker: z.number().int(), guard: z.number().int() }),
  /** Tasks finished per second, by model and kind; a pair with none in the interval is left out. */
  tasks: z.array(z.object({ model: z.string(), kind: z.string(), perSecond: z.number() })),
  tokensPerSecond: z.number(),
  queued: z.number().int(),
  running: z.number().int(),
  /** From a tab getting a chat task to its first text; null when no chat task streamed in the interval. */
  ttftMs: percentilesSchema.nullable(),
  /** From submission to result; null when no task succeeded in the interval. */
  latencyMs: percentilesSchema.nullable(),
  /** Guard verdicts in the interval, and how many of them caught a wrong result. */
  checked: z.number().int(),
  caught: z.number().int(),
});
export type ObserverSample = z.infer<typeof observerSampleSchema>;

/** Sent once on connect: the stored samples, oldest first, so a new viewer sees the last hours. */
export const observerHistorySchema = z.object({ sampleMs: z.number().int(), samples: z.array(observerSampleSchema) });
export type ObserverHistory = z.infer<typeof observerHistorySchema>;

export interface ObserverServerToClientEvents {
  'observers:history': (history: ObserverHistory) => void;
  /** A new sample, every `sampleMs`. */
  'observers:sample': (sample: ObserverSample) => void;
  /** The same body as `GET /api/v1/network`: every few seconds, and soon after tabs or tasks change. */
  'observers:snapshot': (snapshot: z.infer<typeof networkSnapshotSchema>) => void;
}
