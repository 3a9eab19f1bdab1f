import { parseArgs } from 'node:util';

export const PHASES = ['routing', 'http', 'latency', 'idle'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  phases: ReadonlySet<Phase>;
  /** `--quick`: the small sizes. */
  quick: boolean;
  /** Answering tab connections for the throughput and latency phases. */
  workers: number;
  maxConcurrentTasks: number;
  warmupMs: number;
  durationMs: number;
  /** Tasks kept open by the in-process submitter. */
  concurrency: number;
  /** Requests kept in flight by the HTTP load generator. */
  httpConcurrency: number;
  /** Offered load of the latency phase, tasks per second. */
  rate: number;
  /** Idle tab connections. */
  idle: number;
  /** Child processes the idle tabs are spread over. */
  idleProcesses: number;
  /** No new idle connection is started after this long, so the phase stays bounded on a busy machine. */
  idleBudgetMs: number;
  /** Idle tabs send `worker:heartbeat` at the coordinator's interval instead of only answering pings. */
  idleHeartbeats: boolean;
  model: string;
  /** Folder for a V8 CPU profile of the coordinator (`--cpu-prof`), written when it exits. */
  cpuProfileDir: string | undefined;
  /** `--database-url` (or TESSERA_DATABASE_URL): the coordinators keep their state in PostgreSQL, each in a fresh schema; empty: SQLite. */
  databaseUrl: string;
  /** `--cluster N`: instead of the phases, measure networks of 1…N coordinator instances; 0: off. */
  cluster: number;
  /** `--redis-url` (or TESSERA_REDIS_URL): the Redis the instances of `--cluster` share. */
  redisUrl: string;
}

const FULL = {
  workers: 50,
  maxConcurrentTasks: 8,
  warmupMs: 2000,
  durationMs: 10_000,
  concurrency: 1024,
  httpConcurrency: 256,
  rate: 1000,
  idle: 20_000,
  idleProcesses: 2,
  idleBudgetMs: 60_000,
};
const QUICK = {
  workers: 20,
  maxConcurrentTasks: 8,
  warmupMs: 300,
  durationMs: 1500,
  concurrency: 512,
  httpConcurrency: 128,
  rate: 1000,
  idle: 1500,
  idleProcesses: 1,
  idleBudgetMs: 6000,
};

/**
 * With --cluster every instance count runs a whole network (idle tabs, closed loop, paced load), so the idle
 * tabs are fewer; the paced rate is one a single instance on PostgreSQL sustains on 2 shared cores; and the
 * closed loop keeps more requests open than the tabs have slots, so tasks wait in the shared queue and
 * instances claim each other's.
 */
const CLUSTER = {
  full: { idle: 3000, rate: 200, idleBudgetMs: 30_000, httpConcurrency: 512 },
  quick: { idle: 600, rate: 200, idleBudgetMs: 6000, httpConcurrency: 256 },
};
const MAX_CLUSTER = 8;

export const HELP = `Usage: npm run bench -- [options]

Measures the coordinator (a child process running the real buildApp) with simulated tabs (socket.io
clients in other child processes that answer every task at once) and prints a table of figures. It
asserts nothing. Phases:
  routing   tasks/s through dispatcher.submit inside the coordinator process (queue, SQLite, sockets)
  http      tasks/s through POST /v1/chat/completions on keep-alive connections
  latency   added latency at a fixed offered rate, open loop, in-process and over HTTP
  idle      coordinator memory with many idle tab connections

Options (defaults in brackets; --quick uses smaller ones):
  --quick                    smaller numbers, well under 30 s; for smoke runs
  --phases LIST              comma-separated subset of ${PHASES.join(',')} [all]
  --workers N                answering tab connections [${FULL.workers}; quick ${QUICK.workers}]
  --max-concurrent N         maxConcurrentTasks each answering tab announces [${FULL.maxConcurrentTasks}]
  --duration-ms N            measured window of each throughput and latency phase [${FULL.durationMs}; quick ${QUICK.durationMs}]
  --warmup-ms N              unmeasured run-in before each window [${FULL.warmupMs}; quick ${QUICK.warmupMs}]
  --concurrency N            tasks the in-process submitter keeps open [${FULL.concurrency}; quick ${QUICK.concurrency}]
  --http-concurrency N       HTTP requests kept in flight [${FULL.httpConcurrency}; quick ${QUICK.httpConcurrency}]
  --rate N                   tasks/s offered in the latency phase [${FULL.rate}]
  --idle N                   idle tab connections [${FULL.idle}; quick ${QUICK.idle}]
  --idle-processes N         client processes for the idle tabs [${FULL.idleProcesses}; quick ${QUICK.idleProcesses}]
  --idle-budget-ms N         start no idle connection after this long; the rest is projected [${FULL.idleBudgetMs}; quick ${QUICK.idleBudgetMs}]
  --idle-heartbeats          idle tabs also send worker:heartbeat like real tabs (default: pings only)
  --model ID                 model the tabs offer and the tasks ask for [tessera/tiny-gpt2]
  --cpu-prof DIR             write V8 CPU profiles of the coordinator(s) to DIR (open in Chrome DevTools)
  --database-url URL         postgres://… : the coordinator on PostgreSQL, a fresh schema per phase, dropped
                             after [TESSERA_DATABASE_URL, else SQLite]
  --cluster N                instead of the phases: networks of 1, 2, … N coordinator instances on one
                             PostgreSQL and one Redis (needs --database-url and --redis-url), one table row
                             each: routed tasks/s (HTTP, closed loop, --http-concurrency [${CLUSTER.full.httpConcurrency}; quick
                             ${CLUSTER.quick.httpConcurrency}]), latency at --rate [${CLUSTER.full.rate}] (HTTP, open loop), --idle tabs [${CLUSTER.full.idle};
                             quick ${CLUSTER.quick.idle}] spread over the instances, and whether any task was lost;
                             see coordinator/bench/README.md
  --redis-url URL            redis://… the instances of --cluster share [TESSERA_REDIS_URL]
  --help                     show this help

The coordinator's SQLite file goes to a fresh folder under $TMPDIR (default /tmp), removed at the end;
TMPDIR=/dev/shm takes the disk out of the figures.`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer, got '${raw}'. See --help.`);
  return value;
}

/** Several instances are one network only on a shared PostgreSQL and a shared Redis: refuse without either. */
function checkCluster(cluster: number, databaseUrl: string, redisUrl: string, phases: string | undefined): void {
  if (cluster > MAX_CLUSTER) throw new Error(`--cluster is at most ${MAX_CLUSTER}.`);
  if (phases !== undefined) throw new Error('--cluster runs its own measurements; it does not take --phases.');
  const missing = [
    ...(databaseUrl === '' ? ['--database-url postgres://… (or TESSERA_DATABASE_URL)'] : []),
    ...(redisUrl === '' ? ['--redis-url redis://… (or TESSERA_REDIS_URL)'] : []),
  ];
  if (missing.length > 0)
    throw new Error(
      `--cluster runs several coordinator instances on one PostgreSQL and one Redis; it needs both --database-url and --redis-url. Missing: ${missing.join(' and ')}.`,
    );
}

/** Parses the benchmark's flags; `help` is set when the caller asked for the usage text. */
export function parseBenchOptions(argv: readonly string[]): { help: true } | { help: false; options: BenchOptions } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      phases: { type: 'string' },
      workers: { type: 'string' },
      'max-concurrent': { type: 'string' },
      'duration-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'http-concurrency': { type: 'string' },
      rate: { type: 'string' },
      idle: { type: 'string' },
      'idle-processes': { type: 'string' },
      'idle-budget-ms': { type: 'string' },
      'idle-heartbeats': { type: 'boolean' },
      model: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'database-url': { type: 'string' },
      cluster: { type: 'string' },
      'redis-url': { type: 'string' },
    },
  });
  if (values.help === true) return { help: true };
  const cluster = values.cluster === undefined ? 0 : positive('cluster', values.cluster, 0);
  const quick = values.quick === true;
  const base = { ...(quick ? QUICK : FULL), ...(cluster > 0 ? CLUSTER[quick ? 'quick' : 'full'] : {}) };
  const databaseUrl = values['database-url'] ?? process.env.TESSERA_DATABASE_URL ?? '';
  const redisUrl = values['redis-url'] ?? process.env.TESSERA_REDIS_URL ?? '';
  if (cluster > 0) checkCluster(cluster, databaseUrl, redisUrl, values.phases);
  const phases = new Set<Phase>();
  for (const name of (values.phases ?? PHASES.join(',')).split(',')) {
    const phase = PHASES.find((candidate) => candidate === name.trim());
    if (phase === undefined) throw new Error(`Unknown phase '${name}'; pick from ${PHASES.join(', ')}.`);
    phases.add(phase);
  }
  const maxConcurrentTasks = positive('max-concurrent', values['max-concurrent'], base.maxConcurrentTasks);
  if (maxConcurrentTasks > 16) throw new Error('--max-concurrent is at most 16 (the protocol limit).');
  return {
    help: false,
    options: {
      phases,
      quick,
      workers: positive('workers', values.workers, base.workers),
      maxConcurrentTasks,
      warmupMs: positive('warmup-ms', values['warmup-ms'], base.warmupMs),
      durationMs: positive('duration-ms', values['duration-ms'], base.durationMs),
      concurrency: positive('concurrency', values.concurrency, base.concurrency),
      httpConcurrency: positive('http-concurrency', values['http-concurrency'], base.httpConcurrency),
      rate: positive('rate', values.rate, base.rate),
      idle: positive('idle', values.idle, base.idle),
      idleProcesses: positive('idle-processes', values['idle-processes'], base.idleProcesses),
      idleBudgetMs: positive('idle-budget-ms', values['idle-budget-ms'], base.idleBudgetMs),
      idleHeartbeats: values['idle-heartbeats'] === true,
      model: values.model ?? 'tessera/tiny-gpt2',
      cpuProfileDir: values['cpu-prof'],
      databaseUrl,
      cluster,
      redisUrl,
    },
  };
}
