import { z } from 'zod';

/**
 * The IPC messages between the benchmark and its two kinds of child process: the coordinator
 * (`bench-server.ts`) and the simulated tabs (`bench-tabs.ts`). Each side parses what it receives.
 */

const count = z.number().int().min(0);

// ── benchmark → coordinator ─────────────────────────────────────────────────────────────────────────
export const serverCommandSchema = z.discriminatedUnion('type', [
  /** Memory of the coordinator process, after a full GC when `gc` is set. */
  z.object({ type: z.literal('memory'), gc: z.boolean() }),
  /** Closed loop through `dispatcher.submit`: keep `concurrency` tasks open, count those that finish. */
  z.object({ type: z.literal('route'), model: z.string(), concurrency: count, warmupMs: count, durationMs: count }),
  /** Open loop through `dispatcher.submit` at a fixed rate; latency measured from each intended send time. */
  z.object({ type: z.literal('paced'), model: z.string(), ratePerSecond: z.number().positive(), warmupMs: count, durationMs: count }),
]);
export type ServerCommand = z.infer<typeof serverCommandSchema>;

export const serverReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), url: z.string() }),
  z.object({ type: z.literal('memory'), rssBytes: count, heapUsedBytes: count, externalBytes: count, workers: count }),
  z.object({
    type: z.literal('route'),
    completed: count,
    failed: count,
    elapsedMs: z.number(),
    /** CPU of the whole coordinator process (all threads) in the window. */
    cpuMs: z.number(),
    /** CPU of its main thread, the event loop, in the window. */
    loopCpuMs: z.number(),
  }),
  z.object({
    type: z.literal('paced'),
    sent: count,
    completed: count,
    failed: count,
    elapsedMs: z.number(),
    cpuMs: z.number(),
    /** Intended send time → result in the coordinator, the simulated tab's signature included, in µs. */
    addedUs: z.array(z.number()),
    /** Intended send time → `submit` call (the pacer's and the event loop's lag), in µs. */
    sendLagUs: z.array(z.number()),
  }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type ServerReply = z.infer<typeof serverReplySchema>;

// ── benchmark → tabs ────────────────────────────────────────────────────────────────────────────────
export const tabsCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('connect'),
    /** Coordinators to connect to; tab i connects to `urls[i % urls.length]`, as a round-robin front address places it. */
    urls: z.array(z.string()).min(1),
    count,
    /** `answer`: reply to every task:assign with a task:result at once. `idle`: say hello, then only pong. */
    mode: z.enum(['answer', 'idle']),
    model: z.string(),
    maxConcurrentTasks: z.number().int().min(1).max(16),
    /** Source addresses in 127.0.0.0/8, used round-robin so many sockets do not run out of ports. */
    localAddresses: z.array(z.string()),
    /** Send `worker:heartbeat` at the interval the coordinator's welcome names, as real tabs do. */
    heartbeats: z.boolean(),
    /** Handshakes in flight at once. */
    parallel: z.number().int().min(1),
    /** Start no new connection after this many ms (0: no limit); keeps the phase bounded on a busy machine. */
    budgetMs: count,
  }),
  /** With `taskIds`, the reply lists the ids of the tasks answered, by coordinator URL. */
  z.object({ type: z.literal('stats'), taskIds: z.boolean().optional() }),
  z.object({ type: z.literal('disconnect') }),
]);
export type TabsCommand = z.infer<typeof tabsCommandSchema>;

export const tabsReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('connected'),
    connected: count,
    failed: count,
    /** Not attempted because the time budget ran out. */
    skipped: count,
    elapsedMs: z.number(),
    firstError: z.string().nullable(),
  }),
  z.object({
    type: z.literal('stats'),
    open: count,
    answered: count,
    /** Tasks answered by the tabs connected to each coordinator URL. */
    answeredByUrl: z.record(z.string(), count),
    /** Their task ids, when asked for (`taskIds`). */
    taskIdsByUrl: z.record(z.string(), z.array(z.string())).optional(),
    /** Known-answer checks answered (one per tab and model with a canary). */
    canaries: count,
    /** `protocol:error` messages the coordinator sent: refused results, say. Should be 0. */
    protocolErrors: count,
    firstProtocolError: z.string().nullable(),
    rssBytes: count,
  }),
  z.object({ type: z.literal('disconnected') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type TabsReply = z.infer<typeof tabsReplySchema>;
