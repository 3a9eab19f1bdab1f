/**
 * The coordinator under test, as the benchmark's child process: the real `buildApp` (HTTP API, worker
 * gateway, SQLite queue) listening on loopback, plus IPC commands that drive `dispatcher.submit` from
 * inside the process, so routing capacity is measured without an HTTP stack in front of it.
 *
 * Takes the same flags as `server.ts` (`--port 0 --data-dir /tmp/x --log-level warn …`).
 * Run by `routing-bench.ts`; not meant to be started by hand.
 */
import type { TaskSpec } from '@tessera/shared';
import { ANONYMOUS_PRIORITY } from '../src/api/priorities.ts';
import type { TaskEvent } from '../src/tasks/task-event.ts';
import { buildApp, loadConfig, parseFlags, type CoordinatorApp } from '../src/index.ts';
import { cpuSeconds } from './bench-child.ts';
import { serverCommandSchema, type ServerCommand, type ServerReply } from './bench-messages.ts';
import { startPacer } from './pacer.ts';

function reply(message: ServerReply): void {
  process.send?.(message);
}

function tinyChatSpec(model: string): TaskSpec {
  return {
    kind: 'chat',
    model,
    messages: [{ role: 'user', content: 'hi' }],
    params: { maxTokens: 1, temperature: 0, topP: 1, seed: null, stop: [] },
  };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** CPU ms of the main thread (the event loop) so far; other threads (libuv pool, workers) excluded. */
const loopCpuMs = (): number => cpuSeconds(process.pid, process.pid) * 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `isDone()` holds, or gives up after `timeoutMs` (tasks lost to a dropped tab, say). */
async function drain(isDone: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone() && Date.now() < deadline) await sleep(10);
}

/** Closed loop: `concurrency` tasks open at all times; counts the ones that finish inside the window. */
async function route(app: CoordinatorApp, command: Extract<ServerCommand, { type: 'route' }>): Promise<ServerReply> {
  const { dispatcher } = app.tessera;
  const spec = tinyChatSpec(command.model);
  let open = 0;
  let completed = 0;
  let failed = 0;
  let measuring = false;
  let stopping = false;

  const onTerminal = (event: Exclude<TaskEvent, { type: 'chunk' }>): void => {
    open--;
    if (measuring) {
      if (event.type === 'succeeded') completed++;
      else failed++;
    }
    // Like an HTTP handler awaiting the task: the next submit runs after the tab's message is handled.
    if (!stopping) queueMicrotask(launch);
  };
  const launch = (): void => {
    while (!stopping && open < command.concurrency) {
      open++;
      const record = dispatcher.submit({ api: 'chat.completion', spec, priority: ANONYMOUS_PRIORITY });
      const unsubscribe = dispatcher.subscribe(record.id, (event) => {
        if (event.type === 'chunk') return;
        unsubscribe();
        onTerminal(event);
      });
    }
  };

  launch();
  await sleep(command.warmupMs);
  measuring = true;
  const cpuStart = process.cpuUsage();
  const loopStart = loopCpuMs();
  const startedAt = performance.now();
  await sleep(command.durationMs);
  measuring = false;
  const elapsedMs = performance.now() - startedAt;
  const cpuMs = cpuMsSince(cpuStart);
  const loopMs = loopCpuMs() - loopStart;
  stopping = true;
  await drain(() => open === 0, 10_000);
  return { type: 'route', completed, failed, elapsedMs, cpuMs, loopCpuMs: loopMs };
}

/** Open loop at a fixed rate; each task's latency counts from when it was meant to be sent. */
async function paced(app: CoordinatorApp, command: Extract<ServerCommand, { type: 'paced' }>): Promise<ServerReply> {
  const { dispatcher } = app.tessera;
  const spec = tinyChatSpec(command.model);
  const warmupSends = Math.floor((command.ratePerSecond * command.warmupMs) / 1000);
  const addedUs: number[] = [];
  const sendLagUs: number[] = [];
  let open = 0;
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let cpuStart = process.cpuUsage();
  let startedAt = performance.now();

  const schedule = startPacer(command.ratePerSecond, command.warmupMs + command.durationMs, (index) => {
    const intendedNs = schedule.intendedNs(index);
    const submittedNs = process.hrtime.bigint();
    const measured = index >= warmupSends;
    if (index === warmupSends) {
      cpuStart = process.cpuUsage();
      startedAt = performance.now();
    }
    open++;
    if (measured) sent++;
    const record = dispatcher.submit({ api: 'chat.completion', spec, priority: ANONYMOUS_PRIORITY });
    const unsubscribe = dispatcher.subscribe(record.id, (event) => {
      if (event.type === 'chunk') return;
      const doneNs = process.hrtime.bigint();
      unsubscribe();
      open--;
      if (!measured) return;
      if (event.type !== 'succeeded') {
        failed++;
        return;
      }
      completed++;
      // Timings are the coordinator's own now (assignment to result), so the tab's share cannot be told
      // apart: the simulated tabs answer at once, and what they spend (a signature, ~0.1 ms) is included.
      addedUs.push(Number(doneNs - intendedNs) / 1000);
      sendLagUs.push(Number(submittedNs - intendedNs) / 1000);
    });
  });
  await schedule.finished;
  const elapsedMs = performance.now() - startedAt;
  const cpuMs = cpuMsSince(cpuStart);
  await drain(() => open === 0, 10_000);
  return { type: 'paced', sent, completed, failed, elapsedMs, cpuMs, addedUs, sendLagUs };
}

/** Memory after (optionally) full GCs: a second one after a pause catches what finalizers freed. */
async function memory(app: CoordinatorApp, runGc: boolean): Promise<ServerReply> {
  if (runGc) {
    globalThis.gc?.();
    await sleep(200);
    globalThis.gc?.();
    await sleep(100);
  }
  const usage = process.memoryUsage();
  return {
    type: 'memory',
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    externalBytes: usage.external,
    workers: app.tessera.registry.size,
  };
}

async function handle(app: CoordinatorApp, command: ServerCommand): Promise<ServerReply> {
  switch (command.type) {
    case 'memory':
      return memory(app, command.gc);
    case 'route':
      return route(app, command);
    case 'paced':
      return paced(app, command);
  }
}

async function main(): Promise<void> {
  const { overrides } = parseFlags(process.argv.slice(2));
  const config = loadConfig({}, overrides);
  const app = await buildApp({ config, logger: { level: config.logLevel } });
  const url = await app.listen({ host: config.host, port: config.port });

  let closing = false;
  const shutDown = (): void => {
    if (closing) return;
    closing = true;
    // Tabs may hold thousands of sockets open; closing them one by one is not worth the wait here.
    const hardStop = setTimeout(() => process.exit(0), 3000);
    hardStop.unref();
    void app.close().finally(() => process.exit(0));
  };
  process.on('disconnect', shutDown);
  process.on('SIGTERM', shutDown);
  process.on('SIGINT', shutDown);

  process.on('message', (raw: unknown) => {
    const parsed = serverCommandSchema.safeParse(raw);
    if (!parsed.success) {
      reply({ type: 'error', message: `bad command: ${parsed.error.message}` });
      return;
    }
    handle(app, parsed.data).then(reply, (error: unknown) =>
      reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  reply({ type: 'ready', url });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
