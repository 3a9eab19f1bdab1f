/**
 * `npm run bench`: the coordinator's routing figures with many simulated tabs. See README.md here for
 * what each phase measures and how to read the table. Prints figures; asserts nothing.
 */
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { openFileLimit, residentBytes, startCpuMeter, type CpuShares } from './bench-child.ts';
import { describeDatabase } from './bench-database.ts';
import { HELP, parseBenchOptions, type BenchOptions } from './bench-options.ts';
import {
  cleanUp,
  connectCommand,
  cpuNote,
  expect,
  FD_RESERVE,
  idleBaseline,
  openIdleTabs,
  startServer,
  startTabs,
  type MemoryReply,
  type Server,
  type Tabs,
} from './bench-processes.ts';
import {
  cores,
  integer,
  kib,
  latencyFigure,
  mib,
  ms,
  percentiles,
  renderTable,
  seconds,
  type BenchReport,
  type Row,
} from './bench-report.ts';
import { clusterBench } from './cluster-bench.ts';
import { httpClosedLoop, httpPaced } from './http-load.ts';

const GOALS = { routedPerSecond: 10_000, addedP99Us: 2000, idleBytes: 1024 ** 3, idleConnections: 20_000 };

interface Serving {
  server: Server;
  tabs: Tabs;
  url: string;
  /** Records the other processes' CPU share, for the warning under the table. */
  noteLoad(shares: CpuShares): void;
}

/** A fresh coordinator with `workers` answering tabs for one phase, so no phase inherits another's database. */
async function withServing(
  options: BenchOptions,
  notes: string[],
  load: number[],
  phase: (serving: Serving) => Promise<void>,
): Promise<void> {
  const { server, url } = await startServer(options, []);
  const tabs = await startTabs();
  const joined = expect(await tabs.request(connectCommand([url], options, options.workers, 'answer', 1)), 'connected');
  if (joined.failed > 0) throw new Error(`${joined.failed} tabs could not connect: ${joined.firstError ?? ''}`);
  // Let the coordinator take in the tabs' known-answer checks before any task arrives.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await phase({ server, tabs, url, noteLoad: (shares) => load.push(shares.others) });
  const memory = residentBytes(server.pid);
  const stats = expect(await tabs.request({ type: 'stats' }), 'stats');
  notes.push(
    `  coordinator RSS at the end of the phase ${mib(memory.rssBytes)} (peak ${mib(memory.peakBytes)}); ` +
      `tabs answered ${integer(stats.answered)} tasks and ${stats.canaries} known-answer checks, ${stats.protocolErrors} refused${stats.firstProtocolError === null ? '' : ` (${stats.firstProtocolError})`}`,
  );
  await tabs.stop(3000);
  await server.stop(5000);
}

/** Open loop at a fixed rate: in-process (the goal) and over HTTP (what a caller sees). */
async function latencyPhase(options: BenchOptions, rows: Row[], notes: string[], load: number[]): Promise<void> {
  await withServing(options, notes, load, async ({ server, tabs, url, noteLoad }) => {
    const warmupMs = Math.min(options.warmupMs, 1000);
    let meter = startCpuMeter({ coordinator: server.pid, tabs: tabs.pid });
    const inProcess = expect(
      await server.request({ type: 'paced', model: options.model, ratePerSecond: options.rate, warmupMs, durationMs: options.durationMs }),
      'paced',
    );
    let shares = meter.stop();
    noteLoad(shares);
    const added = percentiles(inProcess.addedUs);
    const lag = percentiles(inProcess.sendLagUs);
    rows.push({
      phase: `added latency @${integer(options.rate)}/s`,
      figure: latencyFigure(added),
      goal: `p99 ≤ ${ms(GOALS.addedP99Us)}`,
      met: added.p99 <= GOALS.addedP99Us,
    });
    notes.push(
      `added latency: ${integer(inProcess.completed)} of ${integer(inProcess.sent)} tasks (open loop, submitted inside the coordinator), ${inProcess.failed} failed` +
        `${inProcess.sent - inProcess.completed - inProcess.failed > 0 ? `, ${integer(inProcess.sent - inProcess.completed - inProcess.failed)} unfinished 10 s after the last send (not in the figures)` : ''}; ` +
        `intended send time → result, the simulated tab's own time (a signature) included; the part spent waiting for the event loop to take the send: p50 ${ms(lag.p50)} · p99 ${ms(lag.p99)}`,
      `  ${cpuNote(shares, { coordinator: 'coordinator', tabs: 'tabs' })}`,
    );

    meter = startCpuMeter({ coordinator: server.pid, tabs: tabs.pid, client: process.pid });
    const overHttp = await httpPaced(url, options.model, options.rate, warmupMs, options.durationMs, 64);
    shares = meter.stop();
    noteLoad(shares);
    const http = percentiles(overHttp.latencyUs);
    rows.push({ phase: `HTTP latency @${integer(options.rate)}/s`, figure: latencyFigure(http), goal: '—' });
    notes.push(
      `HTTP latency: ${integer(http.count)} of ${integer(overHttp.sent)} requests answered, ${overHttp.failed} failed` +
        `${overHttp.sent - http.count - overHttp.failed > 0 ? `, ${integer(overHttp.sent - http.count - overHttp.failed)} still unanswered 10 s after the last send (not in the figures)` : ''}; ` +
        `intended send → last response byte, HTTP client included`,
      `  ${cpuNote(shares, { coordinator: 'coordinator', tabs: 'tabs', client: 'HTTP client' })}`,
    );
  });
}

/** Closed loop through dispatcher.submit inside the coordinator: the routing capacity. */
async function routingPhase(options: BenchOptions, rows: Row[], notes: string[], load: number[]): Promise<void> {
  await withServing(options, notes, load, async ({ server, tabs, noteLoad }) => {
    const meter = startCpuMeter({ coordinator: server.pid, tabs: tabs.pid });
    const result = expect(
      await server.request({
        type: 'route',
        model: options.model,
        concurrency: options.concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
      }),
      'route',
    );
    const shares = meter.stop();
    noteLoad(shares);
    const perSecond = (result.completed * 1000) / result.elapsedMs;
    rows.push({
      phase: 'routing (in-process)',
      figure: `${integer(perSecond)} tasks/s`,
      goal: `≥ ${integer(GOALS.routedPerSecond)} tasks/s`,
      met: perSecond >= GOALS.routedPerSecond,
    });
    notes.push(
      `routing: ${integer(result.completed)} tasks in ${seconds(result.elapsedMs)}, ${result.failed} failed, ${integer(options.concurrency)} kept open; ` +
        `${integer((result.completed * 1000) / Math.max(1, result.cpuMs))} tasks per coordinator CPU-second, ` +
        `${integer((result.completed * 1000) / Math.max(1, result.loopCpuMs))} per event-loop CPU-second (its main thread at ${cores(result.loopCpuMs, result.elapsedMs)}); ` +
        `these move least with other load on the machine`,
      `  ${cpuNote(shares, { coordinator: 'coordinator', tabs: 'tabs' })}`,
    );
  });
}

/** Closed loop through POST /v1/chat/completions on keep-alive connections. */
async function httpPhase(options: BenchOptions, rows: Row[], notes: string[], load: number[]): Promise<void> {
  await withServing(options, notes, load, async ({ server, tabs, url, noteLoad }) => {
    const meter = startCpuMeter({ coordinator: server.pid, tabs: tabs.pid, client: process.pid });
    const result = await httpClosedLoop(url, options.model, options.httpConcurrency, options.warmupMs, options.durationMs);
    const shares = meter.stop();
    noteLoad(shares);
    const perSecond = (result.completed * 1000) / result.elapsedMs;
    rows.push({ phase: 'HTTP API', figure: `${integer(perSecond)} tasks/s`, goal: '—' });
    const statuses = Object.entries(result.statuses).map(([status, n]) => `${n}× ${status === '0' ? 'network error' : status}`);
    notes.push(
      `HTTP: POST /v1/chat/completions, ${options.httpConcurrency} keep-alive connections, ${integer(result.completed)} answered in ${seconds(result.elapsedMs)}` +
        `${statuses.length > 0 ? ` (+ ${statuses.join(', ')})` : ''}`,
      `  ${cpuNote(shares, { coordinator: 'coordinator', tabs: 'tabs', client: 'HTTP client' })}`,
    );
  });
}

/** A fresh coordinator, then `idle` tabs that say hello, pass the known-answer check and go quiet: memory per connection. */
async function idlePhase(options: BenchOptions, rows: Row[], notes: string[], load: number[]): Promise<void> {
  // Tabs that only answer pings would be dropped by the heartbeat sweeper (three missed beats); unless they
  // send heartbeats, give them an interval longer than the phase.
  const { server, url } = await startServer(options, options.idleHeartbeats ? [] : ['--heartbeat-interval-ms', '3600000']);
  const fdLimit = openFileLimit(server.pid);
  const target = Math.min(options.idle, fdLimit - FD_RESERVE);
  if (target < options.idle)
    notes.push(
      `idle: capped at ${integer(target)} connections by the coordinator's open-file limit (${integer(fdLimit)}; ulimit -Hn cannot be raised here)`,
    );
  const baseline = await idleBaseline([server], [url], options, target, { coordinator: server.pid });
  const before = baseline.before[0] as MemoryReply;
  const rest = target - before.workers;
  const processes = Math.max(options.idleProcesses, Math.ceil(rest / (fdLimit - FD_RESERVE)));
  const idle = await openIdleTabs([url], options, rest, processes, { coordinator: server.pid });
  const { connected, failed, skipped, connectMs, shares: connectShares } = idle;
  const tabsList = [...baseline.warmUp.tabsList, ...idle.tabsList];
  const firstError = baseline.warmUp.firstError ?? idle.firstError;
  load.push(connectShares.others);

  await new Promise((resolve) => setTimeout(resolve, options.quick ? 300 : 1000));
  const idleMeter = startCpuMeter({ coordinator: server.pid });
  await new Promise((resolve) => setTimeout(resolve, options.idleHeartbeats ? 10_000 : options.quick ? 1500 : 3000));
  const idleShares = idleMeter.stop();
  const after = expect(await server.request({ type: 'memory', gc: true }), 'memory');
  const peak = residentBytes(server.pid).peakBytes;
  const perConnection = (after.rssBytes - before.rssBytes) / Math.max(1, after.workers - before.workers);
  const projected = before.rssBytes + perConnection * (GOALS.idleConnections - before.workers);
  let clientRss = 0;
  for (const tabs of tabsList) clientRss += expect(await tabs.request({ type: 'stats' }), 'stats').rssBytes;

  const reachedGoalCount = after.workers >= GOALS.idleConnections;
  rows.push({
    phase: 'idle connections',
    figure: `${integer(after.workers)} in ${mib(after.rssBytes)} RSS`,
    goal: `${integer(GOALS.idleConnections)} in ≤ ${mib(GOALS.idleBytes)}`,
    ...(reachedGoalCount ? { met: after.rssBytes <= GOALS.idleBytes } : {}),
  });
  if (!reachedGoalCount)
    rows.push({
      phase: `  projected to ${integer(GOALS.idleConnections)}`,
      figure: `${mib(projected)} RSS`,
      goal: `≤ ${mib(GOALS.idleBytes)}`,
      met: projected <= GOALS.idleBytes,
    });
  rows.push({
    phase: '  per connection',
    figure: `${kib(perConnection)} RSS`,
    goal: `≤ ${kib((GOALS.idleBytes - before.rssBytes) / (GOALS.idleConnections - before.workers))}`,
  });
  rows.push({ phase: '  time to connect', figure: `${seconds(connectMs)} (${integer((connected * 1000) / connectMs)} tabs/s)`, goal: '—' });
  notes.push(
    `idle: ${integer(before.workers)} connected first (their one-time costs are in the baseline), then ${integer(connected)}, ${failed + baseline.warmUp.failed} failed${firstError === undefined ? '' : ` (${firstError})`}` +
      `${skipped > 0 ? `, ${integer(skipped)} not tried: the ${seconds(options.idleBudgetMs)} connect budget ran out (--idle-budget-ms)` : ''}; ` +
      `${processes} client process(es) holding ${mib(clientRss)}; coordinator RSS ${mib(before.rssBytes)} with ${integer(before.workers)} → ${mib(after.rssBytes)} with ${integer(after.workers)} ` +
      `(each after a full GC; peak ${mib(peak)}; JS heap ${mib(before.heapUsedBytes)} → ${mib(after.heapUsedBytes)})`,
    `  while connecting: CPU coordinator ${(connectShares.byName.coordinator ?? 0).toFixed(2)} · tabs ${(connectShares.byName.tabs ?? 0).toFixed(2)} · other processes ${connectShares.others.toFixed(2)} cores; ` +
      `${integer(((connectShares.byName.coordinator ?? 0) * connectShares.wallMs * 1000) / Math.max(1, connected))} µs of coordinator CPU per connection (hello, key, known-answer check)`,
    `  while idle: coordinator CPU ${(idleShares.byName.coordinator ?? 0).toFixed(3)} cores${options.idleHeartbeats ? ' (tabs send worker:heartbeat)' : ' (engine.io pings only)'}`,
  );

  // Shutting down closes every tab socket from the coordinator's side; how long that takes is worth knowing.
  const graceMs = 30_000;
  const closeMs = await server.stop(graceMs);
  notes.push(
    `  graceful shutdown with ${integer(after.workers)} tabs connected: ${closeMs >= graceMs ? `not done after ${seconds(graceMs)}, killed` : seconds(closeMs)}`,
  );
  for (const tabs of tabsList) await tabs.stop(3000);
}

/** The single-coordinator phases; prints the header, returns the table and notes. */
async function runPhases(options: BenchOptions, cpuCount: number): Promise<BenchReport> {
  console.log(`Tessera routing benchmark (${cpuCount} cores shared by the coordinator, the simulated tabs and the load generator)`);
  console.log(
    `Node ${process.version} · load average ${loadavg()[0]?.toFixed(2) ?? '?'} at start · phases ${[...options.phases].join(', ')} · ` +
      `${seconds(options.durationMs)} measured after ${seconds(options.warmupMs)} warm-up · ${options.workers} answering tabs × ${options.maxConcurrentTasks} tasks · model ${options.model} · ` +
      `store ${options.databaseUrl === '' ? `SQLite under ${tmpdir()}` : await describeDatabase(options.databaseUrl)}\n`,
  );
  const rows: Row[] = [];
  const notes: string[] = [];
  const load: number[] = [];
  if (options.phases.has('latency')) await latencyPhase(options, rows, notes, load);
  if (options.phases.has('routing')) await routingPhase(options, rows, notes, load);
  if (options.phases.has('http')) await httpPhase(options, rows, notes, load);
  if (options.phases.has('idle')) await idlePhase(options, rows, notes, load);
  return {
    table: renderTable(rows),
    notes,
    load,
    closing: `The coordinator, the tabs and the load generator share ${cpuCount} cores; with cores to spare the coordinator would get one to itself.`,
  };
}

async function main(): Promise<void> {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (parsed.help) {
    console.log(HELP);
    return;
  }
  const { options } = parsed;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void cleanUp().finally(() => process.exit(130));
    });
  }
  // A stuck child must not keep the benchmark (and its children) alive for ever.
  const watchdogMs =
    options.cluster > 0 ? 60_000 + options.cluster * (options.quick ? 60_000 : 150_000) : options.quick ? 120_000 : 300_000;
  setTimeout(() => {
    console.error(`The benchmark did not finish within ${seconds(watchdogMs)}; stopping it.`);
    void cleanUp().finally(() => process.exit(1));
  }, watchdogMs).unref();
  const cpuCount = availableParallelism();
  const startedAt = performance.now();
  let report: BenchReport;
  try {
    report = options.cluster > 0 ? await clusterBench(options, cpuCount) : await runPhases(options, cpuCount);
  } finally {
    await cleanUp();
  }
  console.log(report.table);
  console.log('');
  for (const note of report.notes) console.log(note.startsWith('  ') ? `  ${note}` : `· ${note}`);
  const busiest = Math.max(0, ...report.load);
  if (busiest > 0.25) {
    console.log(
      `\n! Other processes on this machine kept up to ${busiest.toFixed(2)} of its ${cpuCount} cores busy during the measurements; the figures are lower and noisier than on a quiet machine.`,
    );
  }
  console.log(`\nTotal ${seconds(performance.now() - startedAt)}. ${report.closing}`);
}

main().catch(async (error: unknown) => {
  await cleanUp();
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
