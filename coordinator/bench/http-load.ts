import { Agent, request } from 'node:http';
import { startPacer } from './pacer.ts';

/** One tiny non-streaming chat completion: the request an OpenAI client would send. */
function chatBody(model: string): Buffer {
  return Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, temperature: 0 }));
}

/** POSTs the body to /v1/chat/completions on a kept-alive socket; resolves with the status (0 on a network error). */
function post(url: URL, agent: Agent, body: Buffer): Promise<number> {
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
        response.on('data', () => {});
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    outgoing.on('error', () => resolve(0));
    outgoing.end(body);
  });
}

export interface HttpThroughput {
  completed: number;
  failed: number;
  elapsedMs: number;
  /** Non-200 statuses seen, with counts (0 is a network error). */
  statuses: Record<number, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Closed loop: `concurrency` requests in flight on as many keep-alive sockets; counts the 200s inside the window. */
export async function httpClosedLoop(
  baseUrl: string,
  model: string,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
): Promise<HttpThroughput> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = chatBody(model);
  const statuses: Record<number, number> = {};
  let completed = 0;
  let failed = 0;
  let measuring = false;
  let stopping = false;
  const loop = async (): Promise<void> => {
    while (!stopping) {
      const status = await post(url, agent, body);
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
  return { completed, failed, elapsedMs, statuses };
}

export interface HttpLatency {
  sent: number;
  /** Non-200 answers and network errors; requests still unanswered when the wait ended are neither. */
  failed: number;
  /** Intended send time → last byte of the response, in µs (the tab's own time is a few µs, not subtracted). */
  latencyUs: number[];
}

/** Open loop at a fixed rate; each request's latency counts from when it was meant to be sent. */
export async function httpPaced(
  baseUrl: string,
  model: string,
  ratePerSecond: number,
  warmupMs: number,
  durationMs: number,
  maxSockets: number,
  drainMs = 10_000,
): Promise<HttpLatency> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const body = chatBody(model);
  const warmupSends = Math.floor((ratePerSecond * warmupMs) / 1000);
  const latencyUs: number[] = [];
  const pending: Promise<void>[] = [];
  let sent = 0;
  let failed = 0;
  const schedule = startPacer(ratePerSecond, warmupMs + durationMs, (index) => {
    const intendedNs = schedule.intendedNs(index);
    const measured = index >= warmupSends;
    if (measured) sent++;
    pending.push(
      post(url, agent, body).then((status) => {
        if (!measured) return;
        if (status !== 200) failed++;
        else latencyUs.push(Number(process.hrtime.bigint() - intendedNs) / 1000);
      }),
    );
  });
  await schedule.finished;
  // An overloaded coordinator may owe thousands of answers; wait a bounded time so the run stays bounded.
  await Promise.race([Promise.all(pending), sleep(drainMs)]);
  agent.destroy();
  return { sent, failed, latencyUs };
}
