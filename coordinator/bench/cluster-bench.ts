/**
 * `npm run bench -- --cluster N`: one network of k coordinator instances (k = 1…N) on one PostgreSQL and
 * one Redis, each k on a fresh schema and a fresh Redis prefix. Tabs are spread evenly over the instances
 * and HTTP requests taken round-robin, as a front address (nginx) would place them. Per k: idle tabs held
 * per instance, routed tasks/s (HTTP, closed loop), latency at a fixed rate (HTTP, open loop), and whether
 * every task the load generator sent ended as it was told. See README.md here for the columns.
 */
import { loadavg } from 'node:os';
import { openFileLimit, residentBytes, startCpuMeter, type CpuShares } from './bench-child.ts';
import { benchSchema, describeDatabase, type BenchSchema, type TaskStatusCounts } from './bench-database.ts';
import type { BenchOptions } from './bench-options.ts';
import {
  connectCommand,
  cpuNote,
  expect,
  FD_RESERVE,
  idleBaseline,
  onCleanUp,
  openIdleTabs,
  startServer,
  startTabs,
  type Server,
} from './bench-processes.ts';
import { benchRedisPrefix, describeRedis } from './bench-redis.ts';
import { integer, kib, ms, percentiles, renderColumns, seconds, type BenchReport, type Percentiles } from './bench-report.ts';
import { httpClosedLoop, httpPaced, type AnsweredByTarget } from './http-load.ts';

/** The servers besides the coordinators whose CPU is theirs to count: every process of each command. */
const SERVICES = { postgres: 'postgres', redis: 'redis-server' };
/** Paced requests still unanswered this long after the last send are given up (and reported). */
const PACED_DRAIN_MS = 30_000;
/** How long the store may take to show every task ended once the load generator has its answers. */
const SETTLE_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

interface Network {
  servers: Server[];
  urls: string[];
  schema: BenchSchema;
  /** Coordinator pids by meter name (`coordinator0`, …). */
  pids: Record<string, number>;
  /** The shares with `coordinators`: the cores all the coordinators together used. */
  withCoordinators(shares: CpuShares): CpuShares;
  stop(): Promise<void>;
}

/** k coordinator instances on a fresh schema and a fresh Redis prefix: one network. */
async function startNetwork(options: BenchOptions, instances: number): Promise<Network> {
  const schema = await benchSchema(options.databaseUrl);
  onCleanUp(schema.drop);
  const redis = benchRedisPrefix(options.redisUrl);
  onCleanUp(redis.clear);
  // Idle tabs that only answer pings would be dropped after three missed heartbeats; see the idle phase.
  const heartbeats = options.idleHeartbeats ? [] : ['--heartbeat-interval-ms', '3600000'];
  const flags = ['--redis-url', options.redisUrl, '--redis-prefix', redis.prefix, ...heartbeats];
  // The first one migrates the empty schema; the others then start side by side.
  const first = await startServer(options, flags, schema.url);
  const others = await Promise.all(Array.from({ length: instances - 1 }, () => startServer(options, flags, schema.url)));
  const started = [first, ...others];
  const servers = started.map(({ server }) => server);
  const pids = Object.fromEntries(servers.map((server, index) => [`coordinator${index}`, server.pid]));
  return {
    servers,
    urls: started.map(({ url }) => url),
    schema,
    pids,
    withCoordinators: (shares) => ({
      ...shares,
      byName: { ...shares.byName, coordinators: sum(Object.keys(pids).map((name) => shares.byName[name] ?? 0)) },
    }),
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop(5000)));
      await schema.drop();
      await redis.clear();
    },
  };
}

const memoryOf = async (server: Server, gc: boolean): Promise<{ rssBytes: number; workers: number }> =>
  expect(await server.request({ type: 'memory', gc }), 'memory');

/** Waits until no instance holds a tab any more (after the idle tabs' processes stopped). */
async function waitForNoTabs(servers: readonly Server[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const held = await Promise.all(servers.map(async (server) => (await memoryOf(server, false)).workers));
    if (sum(held) === 0) return;
    await sleep(100);
  }
}

/** The store's task counts once nothing is queued or assigned any more, or after `timeoutMs`. */
async function settledCounts(schema: BenchSchema, timeoutMs: number): Promise<TaskStatusCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await schema.taskCounts();
    if ((counts.queued ?? 0) + (counts.assigned ?? 0) === 0 || Date.now() >= deadline) return counts;
    await sleep(200);
  }
}

/** `a / b / c` with the unit once; one value alone when all are equal. */
function perInstance(values: readonly number[], format: (value: number) => string, unit = ''): string {
  const texts = values.map(format);
  const same = texts.every((text) => text === texts[0]);
  return `${same ? `${texts[0] ?? ''}${values.length > 1 ? ' each' : ''}` : texts.join(' / ')}${unit}`;
}

interface NetworkFigures {
  instances: number;
  routedPerSecond: number;
  /** Cores all the coordinators together used in the closed loop. */
  coordinatorCores: number;
  /** Routed tasks per CPU-second of all the coordinators together. */
  perCoordinatorCpuSecond: number;
  latency: Percentiles;
  idleHeld: number[];
  /** Each instance's RSS after a full GC, holding its idle tabs. */
  idleRss: number[];
  perIdleTabBytes: number;
  /** Share of the answered tasks a tab on another instance than the caller's served. */
  crossedShare: number;
  /** Tasks not ended in the store, plus any difference between succeeded tasks and 200 answers. */
  lost: number;
}

/**
 * Idle tabs spread over the fresh instances: connections and RSS each, then the tabs go away again. A few
 * tabs first, so that what the first connection costs once per instance is in the baseline.
 */
async function idleTabs(
  options: BenchOptions,
  network: Network,
  notes: string[],
  load: number[],
): Promise<{ held: number[]; rss: number[]; perTabBytes: number }> {
  const { servers, urls } = network;
  const perProcess = Math.min(...servers.map((server) => openFileLimit(server.pid))) - FD_RESERVE;
  const target = Math.min(options.idle, servers.length * perProcess);
  const { warmUp: first, before } = await idleBaseline(servers, urls, options, target, network.pids);
  const rest = target - sum(before.map((memory) => memory.workers));
  const processes = Math.max(options.idleProcesses, Math.ceil(rest / perProcess));
  const idle = await openIdleTabs(urls, options, rest, processes, network.pids, SERVICES);
  const shares = network.withCoordinators(idle.shares);
  load.push(shares.others);
  await sleep(options.quick ? 300 : 1000);
  const after = await Promise.all(servers.map((server) => memoryOf(server, true)));
  const held = after.map((memory) => memory.workers);
  const grown = sum(after.map((memory, index) => memory.rssBytes - (before[index]?.rssBytes ?? 0)));
  const added = sum(held) - sum(before.map((memory) => memory.workers));
  const failed = first.failed + idle.failed;
  const firstError = first.firstError ?? idle.firstError;
  const mibs = (memories: readonly { rssBytes: number }[]): number[] => memories.map((memory) => memory.rssBytes / 2 ** 20);
  notes.push(
    `  idle: ${integer(first.connected + idle.connected)} tabs connected in ${seconds(first.connectMs + idle.connectMs)}, ${failed} failed${firstError === undefined ? '' : ` (${firstError})`}` +
      `${idle.skipped > 0 ? `, ${integer(idle.skipped)} not tried (--idle-budget-ms)` : ''}; RSS per instance after a full GC with ${perInstance(
        before.map((memory) => memory.workers),
        integer,
      )} tabs → with ${perInstance(held, integer)}: ${perInstance(mibs(before), integer)} → ${perInstance(mibs(after), integer, ' MiB')}; ` +
      `while connecting ${cpuNote(shares, { coordinators: 'coordinators', tabs: 'tabs', postgres: 'PostgreSQL', redis: 'Redis' })}`,
  );
  for (const tabs of [...first.tabsList, ...idle.tabsList]) await tabs.stop(3000);
  await waitForNoTabs(servers, 15_000);
  return { held, rss: after.map((memory) => memory.rssBytes), perTabBytes: grown / Math.max(1, added) };
}

/**
 * For every task a caller was answered, whether the tab that served it was on the caller's instance: by
 * task id, from the completions' ids and the ids each instance's tabs answered.
 */
function crossings(
  urls: readonly string[],
  runs: readonly AnsweredByTarget[],
  taskIdsByUrl: Record<string, string[]>,
): { total: number; crossed: number; unserved: number } {
  const servedBy = new Map<string, number>();
  urls.forEach((url, index) => {
    for (const id of taskIdsByUrl[url] ?? []) servedBy.set(id, index);
  });
  let total = 0;
  let crossed = 0;
  let unserved = 0;
  for (const run of runs)
    run.taskIdsByTarget.forEach((ids, caller) => {
      for (const id of ids) {
        total++;
        const server = servedBy.get(id);
        if (server === undefined) unserved++;
        else if (server !== caller) crossed++;
      }
    });
  return { total, crossed, unserved };
}

/** Every 200 the load generator saw against what the store holds: nothing open, one succeeded task per 200. */
async function account(network: Network, runs: readonly AnsweredByTarget[], notes: string[]) {
  const answered = sum(runs.map((run) => sum(run.answeredByTarget)));
  const unsuccessful = sum(runs.map((run) => run.unsuccessful));
  const counts = await settledCounts(network.schema, SETTLE_MS);
  const open = (counts.queued ?? 0) + (counts.assigned ?? 0);
  const lost = open + Math.abs((counts.succeeded ?? 0) - answered);
  notes.push(
    `  accounting: ${integer(answered)} requests answered 200, ${integer(unsuccessful)} otherwise; the store holds ` +
      `${integer(counts.succeeded ?? 0)} succeeded · ${integer(counts.failed ?? 0)} failed · ${integer(counts.cancelled ?? 0)} cancelled · ${integer(open)} still open → lost ${integer(lost)}`,
  );
  return lost;
}

/** One network of `instances` coordinators, measured from start to stop. */
async function measureNetwork(options: BenchOptions, instances: number, notes: string[], load: number[]): Promise<NetworkFigures> {
  const startedAt = performance.now();
  const network = await startNetwork(options, instances);
  const { servers, urls } = network;
  notes.push(`${instances} instance${instances === 1 ? '' : 's'} (started in ${seconds(performance.now() - startedAt)})`);
  const idle = await idleTabs(options, network, notes, load);

  const tabs = await startTabs();
  const joined = expect(await tabs.request(connectCommand(urls, options, options.workers, 'answer', 1)), 'connected');
  if (joined.failed > 0) throw new Error(`${joined.failed} tabs could not connect: ${joined.firstError ?? ''}`);
  // Let the instances take in the tabs' known-answer checks before any task arrives.
  await sleep(300);
  const metered = { ...network.pids, tabs: tabs.pid, client: process.pid };
  const names = { coordinators: 'coordinators', tabs: 'tabs', client: 'HTTP client', postgres: 'PostgreSQL', redis: 'Redis' };

  let meter = startCpuMeter(metered, {}, SERVICES);
  const closed = await httpClosedLoop(urls, options.model, options.httpConcurrency, options.warmupMs, options.durationMs);
  const closedShares = network.withCoordinators(meter.stop());
  load.push(closedShares.others);
  const routedPerSecond = (closed.completed * 1000) / closed.elapsedMs;
  const statuses = Object.entries(closed.statuses).map(([status, n]) => `${n}× ${status === '0' ? 'network error' : status}`);
  notes.push(
    `  closed loop: ${integer(closed.completed)} answered in ${seconds(closed.elapsedMs)} on ${options.httpConcurrency} keep-alive connections` +
      `${statuses.length > 0 ? ` (+ ${statuses.join(', ')})` : ''}; ${cpuNote(closedShares, names)}`,
  );

  const warmupMs = Math.min(options.warmupMs, 1000);
  meter = startCpuMeter(metered, {}, SERVICES);
  const paced = await httpPaced(urls, options.model, options.rate, warmupMs, options.durationMs, 64, PACED_DRAIN_MS);
  const pacedShares = network.withCoordinators(meter.stop());
  load.push(pacedShares.others);
  const latency = percentiles(paced.latencyUs);
  notes.push(
    `  paced @${integer(options.rate)}/s: ${integer(latency.count)} of ${integer(paced.sent)} answered, ${paced.failed} failed` +
      `${paced.unanswered > 0 ? `, ${integer(paced.unanswered)} unanswered ${seconds(PACED_DRAIN_MS)} after the last send` : ''}; ` +
      `p90 ${ms(latency.p90)} · max ${ms(latency.max)}; ${cpuNote(pacedShares, names)}`,
  );

  const lost = await account(network, [closed, paced], notes);
  const stats = expect(await tabs.request({ type: 'stats', taskIds: true }), 'stats');
  const routes = crossings(urls, [closed, paced], stats.taskIdsByUrl ?? {});
  notes.push(
    `  tabs answered ${integer(stats.answered)} tasks, ${stats.protocolErrors} refused${stats.firstProtocolError === null ? '' : ` (${stats.firstProtocolError})`}; ` +
      `of the ${integer(routes.total)} answered to callers, ${integer(routes.crossed)} were served by a tab on another instance than the caller's` +
      `${routes.unserved > 0 ? `, ${integer(routes.unserved)} by no tab at all (!)` : ''}; RSS at the end ${perInstance(
        servers.map((server) => residentBytes(server.pid).rssBytes / 2 ** 20),
        integer,
        ' MiB',
      )}`,
  );
  await tabs.stop(3000);
  await network.stop();
  const coordinatorCores = closedShares.byName.coordinators ?? 0;
  return {
    instances,
    routedPerSecond,
    coordinatorCores,
    perCoordinatorCpuSecond: coordinatorCores > 0 ? routedPerSecond / coordinatorCores : 0,
    latency,
    idleHeld: idle.held,
    idleRss: idle.rss,
    perIdleTabBytes: idle.perTabBytes,
    crossedShare: routes.total > 0 ? routes.crossed / routes.total : 0,
    lost,
  };
}

function table(options: BenchOptions, rows: readonly NetworkFigures[]): string {
  const header = [
    'instances',
    'routed tasks/s',
    'coordinator cores',
    'per coordinator CPU-s',
    `latency @${integer(options.rate)}/s p50 · p99`,
    'crossed',
    'idle tabs per instance',
    'RSS per instance',
    'per idle tab',
    'lost',
  ];
  return renderColumns([
    header,
    ...rows.map((row) => [
      String(row.instances),
      integer(row.routedPerSecond),
      row.coordinatorCores.toFixed(2),
      integer(row.perCoordinatorCpuSecond),
      `${ms(row.latency.p50)} · ${ms(row.latency.p99)}`,
      row.instances === 1 ? '—' : `${(row.crossedShare * 100).toFixed(1)} %`,
      perInstance(row.idleHeld, integer),
      perInstance(
        row.idleRss.map((bytes) => bytes / 2 ** 20),
        integer,
        ' MiB',
      ),
      kib(row.perIdleTabBytes),
      integer(row.lost),
    ]),
  ]);
}

/** Runs the networks of 1…N instances; prints the header, returns the table and notes. */
export async function clusterBench(options: BenchOptions, cpuCount: number): Promise<BenchReport> {
  const shared = `the coordinators, PostgreSQL, Redis, the simulated tabs and the load generator`;
  // Both servers answer before anything starts, or the run stops here saying which one did not.
  const servers = `${await describeDatabase(options.databaseUrl)} · ${await describeRedis(options.redisUrl)}`;
  console.log(
    `Tessera cluster benchmark: 1 to ${options.cluster} coordinator instances as one network (${cpuCount} cores shared by ${shared})`,
  );
  console.log(
    `Node ${process.version} · load average ${loadavg()[0]?.toFixed(2) ?? '?'} at start · ${seconds(options.durationMs)} measured after ${seconds(options.warmupMs)} warm-up · ` +
      `${options.workers} answering tabs × ${options.maxConcurrentTasks} tasks and ${integer(options.idle)} idle tabs, spread evenly over the instances · model ${options.model} · ` +
      `${servers}\n`,
  );
  const rows: NetworkFigures[] = [];
  const notes = [
    `All instances share these ${cpuCount} cores with PostgreSQL, Redis, the tabs and the load generator: instances add no CPU here, ` +
      `so routed tasks/s cannot grow in step with them. It grows only while the cores have room: one instance waits on each ` +
      `PostgreSQL round trip (its event loop is synchronous), leaving cores idle that more instances fill. What the rows show is that ` +
      `the network keeps routing, loses nothing and holds its tabs when split over instances, and what each instance costs. ` +
      `"per coordinator CPU-s" is what an instance routes per core it gets; see coordinator/bench/README.md for machines with more cores.`,
  ];
  const load: number[] = [];
  for (let instances = 1; instances <= options.cluster; instances++) rows.push(await measureNetwork(options, instances, notes, load));
  return {
    table: table(options, rows),
    notes,
    load,
    closing: `The load average was ${loadavg()[0]?.toFixed(2) ?? '?'} at the end. ${shared[0]?.toUpperCase()}${shared.slice(1)} share ${cpuCount} cores.`,
  };
}
