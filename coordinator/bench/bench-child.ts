import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Raise the soft open-file limit as far as the hard limit allows, then become the Node process. */
const RAISE_FD_LIMIT_AND_EXEC = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

export interface BenchChild<Reply> {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Sends a command and resolves with the next reply; a reply of type `error` or a timeout rejects. */
  request(command: object, timeoutMs?: number): Promise<Reply>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how long the child took to exit. */
  stop(graceMs?: number): Promise<number>;
  /** The child's last lines of output, for error reports. */
  recentOutput(): string;
}

/**
 * Starts a TypeScript entry (run through tsx's loader) as a child process with an IPC channel, its own
 * raised open-file limit and its output kept in a small ring buffer. Resolves on its first message.
 */
export async function startChild<Reply extends { type: string }>(
  entry: URL,
  args: readonly string[],
  replySchema: z.ZodType<Reply>,
  nodeArgs: readonly string[] = [],
): Promise<{ child: BenchChild<Reply>; first: Reply }> {
  const child = spawn(
    'bash',
    ['-c', RAISE_FD_LIMIT_AND_EXEC, process.execPath, ...nodeArgs, '--import', 'tsx', fileURLToPath(entry), ...args],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${fileURLToPath(entry)}`);

  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0),
    );
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const recentOutput = (): string => lines.join('\n');

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  const fail = (error: Error): void => {
    const pending = waiting;
    waiting = undefined;
    pending?.reject(error);
  };
  child.on('message', (raw: unknown) => {
    const parsed = replySchema.safeParse(raw);
    const pending = waiting;
    waiting = undefined;
    if (pending === undefined) return;
    if (!parsed.success) pending.reject(new Error(`unexpected message from child: ${JSON.stringify(raw).slice(0, 200)}`));
    else pending.resolve(parsed.data);
  });
  child.once('exit', (code, signal) => fail(new Error(`child exited (${signal ?? code}); last output:\n${recentOutput()}`)));

  const nextReply = (timeoutMs: number): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no reply from child within ${timeoutMs} ms; last output:\n${recentOutput()}`)),
        timeoutMs,
      );
      waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply.type === 'error') reject(new Error(`child reported: ${JSON.stringify(reply)}`));
          else resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });

  const handle: BenchChild<Reply> = {
    process: child,
    pid,
    request: (command, timeoutMs = 120_000) => {
      const reply = nextReply(timeoutMs);
      child.send(command);
      return reply;
    },
    stop: async (graceMs = 10_000) => {
      const startedAt = performance.now();
      if (child.exitCode !== null || child.signalCode !== null) return 0;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
      return performance.now() - startedAt;
    },
    recentOutput,
  };
  const first = await nextReply(60_000);
  return { child: handle, first };
}

/** Resident set size of a process, from /proc (what `top` shows as RES). */
export function residentBytes(pid: number): { rssBytes: number; peakBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM') };
}

/** CPU seconds (user + system) a process has used so far, or one of its threads (the main thread's id is the pid). */
export function cpuSeconds(pid: number, threadId?: number): number {
  const stat = readFileSync(threadId === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${threadId}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux build we run on
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * CPU seconds used so far by every running process whose command name (`/proc/PID/comm`) is `command`:
 * a server made of many processes, such as PostgreSQL's backends. A process that exits between two readings
 * takes its time with it, so the difference can fall short: a lower bound.
 */
export function commandCpuSeconds(command: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) total += cpuSeconds(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return total;
}

/** The soft open-file limit the process runs under. */
export function openFileLimit(pid: number): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/** Busy CPU seconds of the whole machine (every core, every process) so far. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal …
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

export interface CpuShares {
  wallMs: number;
  /** Cores each named process kept busy on average. */
  byName: Record<string, number>;
  /** Cores every other process on the machine kept busy: other work that competes with the benchmark. */
  others: number;
}

/**
 * Starts counting CPU time of the given processes (and threads of theirs), of the processes running the
 * given commands (name → command, e.g. `{ PostgreSQL: 'postgres' }`) and of the machine as a whole;
 * `stop()` tells how many cores each used on average, and how many went to processes outside the benchmark.
 */
export function startCpuMeter(
  processes: Record<string, number>,
  threads: Record<string, { pid: number; threadId: number }> = {},
  commands: Record<string, string> = {},
): { stop(): CpuShares } {
  const startedAt = performance.now();
  const machineBefore = machineBusySeconds();
  const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const threadsBefore = Object.fromEntries(Object.entries(threads).map(([name, { pid, threadId }]) => [name, cpuSeconds(pid, threadId)]));
  const commandsBefore = Object.fromEntries(Object.entries(commands).map(([name, command]) => [name, commandCpuSeconds(command)]));
  return {
    stop: () => {
      const wallMs = performance.now() - startedAt;
      const byName: Record<string, number> = {};
      let ours = 0;
      for (const [name, pid] of Object.entries(processes)) {
        const used = cpuSeconds(pid) - (before[name] ?? 0);
        ours += used;
        byName[name] = (used * 1000) / wallMs;
      }
      for (const [name, command] of Object.entries(commands)) {
        const used = Math.max(0, commandCpuSeconds(command) - (commandsBefore[name] ?? 0));
        ours += used;
        byName[name] = (used * 1000) / wallMs;
      }
      // Threads are parts of processes counted above: reported, not added to `ours` again.
      for (const [name, { pid, threadId }] of Object.entries(threads))
        byName[name] = ((cpuSeconds(pid, threadId) - (threadsBefore[name] ?? 0)) * 1000) / wallMs;
      const others = Math.max(0, ((machineBusySeconds() - machineBefore - ours) * 1000) / wallMs);
      return { wallMs, byName, others };
    },
  };
}
