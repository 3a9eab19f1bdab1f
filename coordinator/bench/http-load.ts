import { Agent, request } from 'node:http';
import { startPacer } from './pacer.ts';

/** One tiny non-streaming chat completion: the request an OpenAI client would send. */
function chatBody(model: string): Buffer {
  return Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, temperature: 0 }));
}

/** The task id in a chat completion's `id` (`chatcmpl-<task id>`), without parsing the whole body. */
const COMPLETION_ID = /"id":"chatcmpl-([^"]+)"/;

/**
 * POSTs the body to /v1/chat/completions on a kept-alive socket; resolves with the status (0 on a network
 * error) and, on a 200, the task id the completion names.
 */
function post(url: URL, agent: Agent, body: Buffer): Promise<{ status: number; taskId: string | undefined }> {
  return new Promise((resolve) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolve({ status, taskId: status === 200 ? COMPLETION_ID.exec(Buffer.concat(chunks).toString('utf8'))?.[1] : undefined });
        });
        response.on('error', () => resolve({ status: 0, taskId: undefined }));
      },
    );
    outgoing.on('error', () => resolve({ status: 0, taskId: undefined }));
    outgoing.end(body);
  });
}

/**
 * Where the requests go: one coordinator, or several taken in turn request by request, as a round-robin
 * front address (nginx) spreads them. Counts every 200 by target, warm-up included, so the benchmark can
 * check each one against the store.
 */
class Targets {
  readonly urls: readonly URL[];
  /** 200 answers each target gave, warm-up and drain included. */
  readonly answered: number[];
  /** The task ids of those answers, by target. */
  readonly taskIds: string[][];
  /** Other answers and network errors, warm-up and drain included. */
  unsuccessful = 0;
  #next = 0;

  constructor(baseUrls: string | readonly string[]) {
    this.urls = (typeof baseUrls === 'string' ? [baseUrls] : baseUrls).map((url) => new URL(url));
    if (this.urls.length === 0) throw new Error('no target to send requests to');
    this.answered = this.urls.map(() => 0);
    this.taskIds = this.urls.map(() => []);
  }

  /** POSTs to the next target; resolves with the status. */
  async post(agent: Agent, body: Buffer): Promise<number> {
    const index = this.#next++ % this.urls.length;
    const { status, taskId } = await post(this.urls[index] as URL, agent, body);
    if (status === 200) {
      this.answered[index] = (this.answered[index] ?? 0) + 1;
      if (taskId !== undefined) this.taskIds[index]?.push(taskId);
    } else this.unsuccessful++;
    return status;
  }
}

/** What the callers were told over the whole run, warm-up included. */
export interface AnsweredByTarget {
  /** 200 answers by target, in the order given. */
  answeredByTarget: number[];
  /** Their task ids, by target. */
  taskIdsByTarget: string[][];
  /** Other answers and network errors. */
  unsuccessful: number;
}

export interface HttpThroughput extends AnsweredByTarget {
  completed: number;
  failed: number;
  elapsedMs: number;
  /** Non-200 statuses seen, with counts (0 is a network error). */
  statuses: Record<number, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Closed loop: `concurrency` requests in flight on keep-alive sockets; counts the 200s inside the window. */
export async function httpClosedLoop(
  baseUrls: string | readonly string[],
  model: string,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
): Promise<HttpThroughput> {
  const targets = new Targets(baseUrls);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = chatBody(model);
  const statuses: Record<number, number> = {};
  let completed = 0;
  let failed = 0;
  let measuring = false;
  let stopping = false;
  const loop = async (): Promise<void> => {
    while (!stopping) {
      const status = await targets.post(agent, body);
      if (!measuring) continue;
      if (status === 200) completed++;
      else {
        failed++;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await sleep(warmupMs);
  measuring = true;
  const startedAt = performance.now();
  await sleep(durationMs);
  measuring = false;
  const elapsedMs = performance.now() - startedAt;
  stopping = true;
  await Promise.all(loops);
  agent.destroy();
  return {
    completed,
    failed,
    elapsedMs,
    statuses,
    answeredByTarget: targets.answered,
    taskIdsByTarget: targets.taskIds,
    unsuccessful: targets.unsuccessful,
  };
}

export interface HttpLatency extends AnsweredByTarget {
  sent: number;
  /** Non-200 answers and network errors; requests still unanswered when the wait ended are neither. */
  failed: number;
  /** Intended send time → last byte of the response, in µs (the tab's own time is a few µs, not subtracted). */
  latencyUs: number[];
  /** Requests of the whole run (warm-up included) still unanswered when the wait ended. */
  unanswered: number;
}

/** Open loop at a fixed rate; each request's latency counts from when it was meant to be sent. */
export async function httpPaced(
  baseUrls: string | readonly string[],
  model: string,
  ratePerSecond: number,
  warmupMs: number,
  durationMs: number,
  maxSockets: number,
  drainMs = 10_000,
): Promise<HttpLatency> {
  const targets = new Targets(baseUrls);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const body = chatBody(model);
  const warmupSends = Math.floor((ratePerSecond * warmupMs) / 1000);
  const latencyUs: number[] = [];
  const pending: Promise<void>[] = [];
  let sent = 0;
  let failed = 0;
  let open = 0;
  const schedule = startPacer(ratePerSecond, warmupMs + durationMs, (index) => {
    const intendedNs = schedule.intendedNs(index);
    const measured = index >= warmupSends;
    if (measured) sent++;
    open++;
    pending.push(
      targets.post(agent, body).then((status) => {
        open--;
        if (!measured) return;
        if (status !== 200) failed++;
        else latencyUs.push(Number(process.hrtime.bigint() - intendedNs) / 1000);
      }),
    );
  });
  await schedule.finished;
  // An overloaded coordinator may owe thousands of answers; wait a bounded time so the run stays bounded.
  // Unref'd: once every answer is in, a pending drain timer must not keep the benchmark alive.
  await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
  const unanswered = open;
  agent.destroy();
  return {
    sent,
    failed,
    latencyUs,
    unanswered,
    answeredByTarget: targets.answered,
    taskIdsByTarget: targets.taskIds,
    unsuccessful: targets.unsuccessful,
  };
}
