import { TINY_GPT2_ID } from '@tessera/shared';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './support/test-database.ts';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const PER_CLIENT_BYTES = 16 * 1024 * 1024;
/** What one client's tasks may add to the coordinator's resident memory, as the README states it. */
const STATED_BOUND_BYTES = 6 * PER_CLIENT_BYTES;
/** What 272 MiB of queued input may keep in the JavaScript heap: queue entries, not the text. */
const QUEUED_HEAP_BOUND_BYTES = 32 * 1024 * 1024;

/** The coordinator in a child process, so its resident memory is its own. */
async function startChild(
  dataDir: string,
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const databaseUrl = await testDatabaseUrl(dataDir);
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', SERVER], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      TESSERA_DATA_DIR: dataDir,
      TESSERA_DATABASE_URL: databaseUrl,
      TESSERA_RATE_LIMIT_PER_MINUTE: '0',
      TESSERA_MAX_OPEN_BYTES_PER_CLIENT: String(PER_CLIENT_BYTES),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Tessera coordinator on (http:\/\/[\d.:]+)/.exec(seen);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the coordinator exited (${code}) before listening`)));
  });
  return { child, url };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  if (match?.[1] === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(match[1]);
}

async function residentBytes(url: string): Promise<number> {
  return metric(url, 'tessera_process_resident_memory_bytes');
}

const COLLECT_GARBAGE_ON_SIGNAL = fileURLToPath(new URL('./support/collect-garbage-on-signal.mjs', import.meta.url));

/** The JavaScript heap the child still uses right after a full collection (it was started with the preload above). */
async function heapHeldBytes(running: { child: ChildProcess; url: string }): Promise<number> {
  running.child.kill('SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return metric(running.url, 'tessera_nodejs_heap_size_used_bytes');
}

/** A chat task of ~928 KiB, within the body limit; no tab is connected, so it stays queued. */
function bigTask(index: number): string {
  const messages = Array.from({ length: 10 }, (_, part) => ({ role: 'user', content: `${index}:${part}:`.padEnd(95_000, 'x') }));
  // No tab serves here: the tasks are asked to wait for one, which is what holds their inputs.
  return JSON.stringify({ type: 'chat.completion', request: { model: TINY_GPT2_ID, messages, max_tokens: 8 }, wait_for_tab: true });
}

/** Submits `count` big tasks, ten at a time, through the native API; each answer's status and error code. */
async function postBigTasks(url: string, count: number): Promise<Array<{ status: number; errorCode: string | null }>> {
  const answers: Array<{ status: number; errorCode: string | null }> = [];
  for (let batch = 0; batch < count; batch += 10) {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bigTask(batch + i) }),
      ),
    );
    for (const response of responses) {
      const body = (await response.json()) as { error?: { code: string } | null };
      answers.push({ status: response.status, errorCode: body.error?.code ?? null });
    }
  }
  return answers;
}

/** A coordinator child for the tests of one `describe`, started before them and killed after. */
function childForTests(env: Record<string, string> = {}, nodeFlags: readonly string[] = []): () => { child: ChildProcess; url: string } {
  let dataDir: string;
  let running: { child: ChildProcess; url: string } | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-memory-'));
    running = await startChild(dataDir, env, nodeFlags);
  }, 60_000);
  afterAll(() => {
    running?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (running === undefined) throw new Error('the coordinator did not start');
    return running;
  };
}

describe('one client cannot grow the coordinator past a stated bound', () => {
  const child = childForTests();

  it('580 queued requests of 928 KiB: a few are accepted, the rest refused with 429, and memory stays bounded', async () => {
    const running = child();
    const { url } = running;
    // The first task of a model loads its tokenizer (transformers.js) once: a fixed cost, not the client's.
    const warmUp = await fetch(`${url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'chat.completion',
        request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'hi' }] },
        wait_for_tab: true,
      }),
    });
    expect(warmUp.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const before = await residentBytes(url);
    const answers = await postBigTasks(url, 580);
    const statuses = answers.map((answer) => answer.status);
    const codes = new Set(answers.flatMap((answer) => (answer.errorCode === null ? [] : [answer.errorCode])));
    const accepted = statuses.filter((status) => status === 202).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(Math.ceil(PER_CLIENT_BYTES / (900 * 1024)));
    expect(statuses.filter((status) => status === 429)).toHaveLength(580 - accepted);
    expect([...codes]).toEqual(['client_queue_full']);
    const grown = (await residentBytes(url)) - before;
    expect(grown).toBeLessThan(STATED_BOUND_BYTES);
  }, 120_000);

  it('oversized bodies always get a 413 the client can read', async () => {
    const body = Buffer.alloc(50 * 1024 * 1024, 'a');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${child().url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
          (response) => response.status,
          (error: unknown) => `failed: ${String(error)}`,
        ),
      ),
    );
    expect(answers).toEqual(Array(10).fill(413));
  }, 60_000);
});

describe('large queued inputs wait in the database, not in memory', () => {
  // Limits far above what the client sends: every task is accepted, and all of it stays queued.
  const child = childForTests(
    { TESSERA_MAX_OPEN_BYTES: String(1024 * 1024 * 1024), TESSERA_MAX_OPEN_BYTES_PER_CLIENT: String(1024 * 1024 * 1024) },
    ['--expose-gc', '--import', COLLECT_GARBAGE_ON_SIGNAL],
  );

  it('300 accepted requests of 928 KiB (272 MiB queued) keep less than 32 MiB of heap', async () => {
    const running = child();
    const { url } = running;
    const warmUp = await fetch(`${url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bigTask(-1),
    });
    expect(warmUp.status).toBe(202);
    const before = await heapHeldBytes(running);
    const statuses = (await postBigTasks(url, 300)).map((answer) => answer.status);
    expect(statuses).toEqual(Array(300).fill(202));
    const network = (await (await fetch(`${url}/api/v1/network`)).json()) as { queue: { queued: number } };
    expect(network.queue.queued).toBe(301);
    const held = (await heapHeldBytes(running)) - before;
    expect(held).toBeLessThan(QUEUED_HEAP_BOUND_BYTES);
  }, 120_000);
});
