/**
 * The benchmark's child processes as the phases use them: coordinators (`bench-server.ts`) and simulated
 * tabs (`bench-tabs.ts`), each registered for clean-up the moment it starts, so an error or Ctrl-C stops
 * everything; and the idle-tab crowd both the single-coordinator phase and `--cluster` open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, startCpuMeter, type BenchChild, type CpuShares } from './bench-child.ts';
import { benchSchema } from './bench-database.ts';
import { serverReplySchema, tabsReplySchema, type ServerReply, type TabsCommand, type TabsReply } from './bench-messages.ts';
import type { BenchOptions } from './bench-options.ts';

const SERVER_ENTRY = new URL('./bench-server.ts', import.meta.url);
const TABS_ENTRY = new URL('./bench-tabs.ts', import.meta.url);
/** File descriptors a coordinator needs besides tab sockets: stdio, IPC, epoll, SQLite and its WAL, the listener. */
export const FD_RESERVE = 64;
/** Connections one source address may open to one port without exhausting the ephemeral port range. */
const PER_SOURCE_ADDRESS = 25_000;

export type Server = BenchChild<ServerReply>;
export type MemoryReply = Extract<ServerReply, { type: 'memory' }>;
export type Tabs = BenchChild<TabsReply>;

/** Everything started so far, stopped in reverse order on the way out (also on Ctrl-C or an error). */
const cleanups: (() => Promise<unknown> | void)[] = [];

/** Registers something to undo when the benchmark ends; undone in reverse order. */
export function onCleanUp(cleanup: () => Promise<unknown> | void): void {
  cleanups.push(cleanup);
}

export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // Best effort: the rest still needs stopping.
    }
  }
}

function isReply<Reply extends { type: string }, Type extends Reply['type']>(
  reply: Reply,
  type: Type,
): reply is Extract<Reply, { type: Type }> {
  return reply.type === type;
}

export function expect<Reply extends { type: string }, Type extends Reply['type']>(
  reply: Reply,
  type: Type,
): Extract<Reply, { type: Type }> {
  if (isReply(reply, type)) return reply;
  throw new Error(`expected a '${type}' reply, got ${JSON.stringify(reply).slice(0, 300)}`);
}

/** Part `index` of `total` split as evenly as possible into `parts`. */
export const shareOf = (total: number, parts: number, index: number): number => Math.floor(total / parts) + (index < total % parts ? 1 : 0);

/**
 * A coordinator child on loopback. On PostgreSQL it gets an empty schema of its own, as it gets an empty
 * SQLite file otherwise, unless `databaseUrl` names the schema of a cluster it joins.
 */
export async function startServer(
  options: BenchOptions,
  extraFlags: readonly string[],
  databaseUrl?: string,
): Promise<{ server: Server; url: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  // Thousands of tabs, fresh keys, from a few loopback addresses: admission must not be what is measured.
  const admission = ['--identity-proof-bits', '0', '--tabs-per-address', '1000000', '--tabs-per-prefix', '1000000'];
  const newKeys = ['--new-identities-per-address', '1000000', '--new-identities-per-prefix', '1000000'];
  const base = ['--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--rate-limit-per-minute', '0'];
  const store = databaseUrl !== undefined || options.databaseUrl === '' ? undefined : await benchSchema(options.databaseUrl);
  if (store !== undefined) cleanups.push(store.drop);
  const database = ['--database-url', databaseUrl ?? store?.url ?? ''];
  const flags = [...base, ...database, ...admission, ...newKeys, ...extraFlags];
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const { child, first } = await startChild(SERVER_ENTRY, flags, serverReplySchema, [
    '--expose-gc',
    '--max-old-space-size=4096',
    ...profile,
  ]);
  cleanups.push(() => child.stop(3000));
  return { server: child, url: expect(first, 'ready').url };
}

export async function startTabs(): Promise<Tabs> {
  const { child } = await startChild(TABS_ENTRY, [], tabsReplySchema, ['--max-old-space-size=4096']);
  cleanups.push(() => child.stop(3000));
  return child;
}

/** Tabs to open from one tabs child; with several URLs, tab i goes to `urls[i % urls.length]`. */
export function connectCommand(
  urls: readonly string[],
  options: BenchOptions,
  count: number,
  mode: 'answer' | 'idle',
  firstAddress: number,
  budgetMs = 0,
): TabsCommand {
  const addresses = Math.ceil(count / PER_SOURCE_ADDRESS);
  return {
    type: 'connect',
    urls: [...urls],
    count,
    mode,
    model: options.model,
    maxConcurrentTasks: options.maxConcurrentTasks,
    localAddresses: Array.from({ length: addresses }, (_, index) => `127.0.0.${firstAddress + index}`),
    heartbeats: mode === 'answer' || options.idleHeartbeats,
    parallel: 64,
    budgetMs,
  };
}

export const cpuNote = (shares: CpuShares, names: Record<string, string>): string =>
  `CPU ${Object.entries(names)
    .map(([key, label]) => `${label} ${(shares.byName[key] ?? 0).toFixed(2)}`)
    .join(' · ')} · other processes ${shares.others.toFixed(2)} cores`;

export interface IdleTabs {
  /** The tab processes, still holding their connections. */
  tabsList: Tabs[];
  connected: number;
  failed: number;
  /** Not tried: the connect budget ran out. */
  skipped: number;
  firstError: string | undefined;
  connectMs: number;
  /** CPU while connecting: the metered processes by name, the tab processes as `tabs`. */
  shares: CpuShares;
}

/**
 * Opens `target` idle tabs (hello, known-answer check, then only pongs) from `processes` tab children,
 * each with source addresses of its own so no two share an ephemeral port range; tab i of a child goes to
 * `urls[i % urls.length]`. Meters `metered` processes (and `commands`, see startCpuMeter) meanwhile.
 */
export async function openIdleTabs(
  urls: readonly string[],
  options: BenchOptions,
  target: number,
  processes: number,
  metered: Record<string, number>,
  commands: Record<string, string> = {},
): Promise<IdleTabs> {
  const tabsList: Tabs[] = [];
  for (let i = 0; i < processes; i++) tabsList.push(await startTabs());
  const tabPids = Object.fromEntries(tabsList.map((tabs, i) => [`tabs${i}`, tabs.pid]));
  const meter = startCpuMeter({ ...metered, ...tabPids }, {}, commands);
  const startedAt = performance.now();
  let firstAddress = 1;
  const replies = await Promise.all(
    tabsList.map(async (tabs, i) => {
      const share = shareOf(target, processes, i);
      const command = connectCommand(urls, options, share, 'idle', firstAddress, options.idleBudgetMs);
      if (command.type === 'connect') firstAddress += command.localAddresses.length;
      return expect(await tabs.request(command, options.idleBudgetMs + 120_000), 'connected');
    }),
  );
  const connectMs = performance.now() - startedAt;
  const shares = meter.stop();
  shares.byName.tabs = Object.keys(tabPids).reduce((total, name) => total + (shares.byName[name] ?? 0), 0);
  const sum = (pick: (reply: (typeof replies)[number]) => number): number => replies.reduce((total, reply) => total + pick(reply), 0);
  return {
    tabsList,
    connected: sum((reply) => reply.connected),
    failed: sum((reply) => reply.failed),
    skipped: sum((reply) => reply.skipped),
    firstError: replies.map((reply) => reply.firstError).find((error) => error !== null) ?? undefined,
    connectMs,
    shares,
  };
}

/**
 * Idle tabs each coordinator gets before its memory baseline is read: what the first tabs cost once (the
 * model's tokenizer, loaded for the first known-answer check; buffers and pools) is not any tab's cost.
 */
const IDLE_WARM_UP_PER_COORDINATOR = 20;

/**
 * Opens a few idle tabs on every coordinator, waits, and reads each one's memory after a full GC: the
 * baseline idle tabs are measured against. The warm-up tabs stay connected (stop `warmUp.tabsList`).
 */
export async function idleBaseline(
  servers: readonly Server[],
  urls: readonly string[],
  options: BenchOptions,
  target: number,
  metered: Record<string, number>,
): Promise<{ warmUp: IdleTabs; before: MemoryReply[] }> {
  const warmUp = await openIdleTabs(urls, options, Math.min(target, IDLE_WARM_UP_PER_COORDINATOR * urls.length), 1, metered);
  // The tokenizer loads after the first known-answer result arrived; on a busy machine that takes a while.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = await Promise.all(servers.map(async (server) => expect(await server.request({ type: 'memory', gc: true }), 'memory')));
  return { warmUp, before };
}
