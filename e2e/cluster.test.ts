import { TINY_GPT2_ID, networkSnapshotSchema, taskViewSchema } from '@tessera/shared';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startClusterFront, type ClusterFront } from './support/cluster-front.ts';
import { E2E_ADMISSION } from './support/coordinator.ts';
import { startCoordinatorProcess, type CoordinatorProcess } from './support/coordinator-process.ts';
import { referenceGreedyCompletion } from './support/node-reference.ts';

const DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? '';
const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? '';
const ready = DATABASE_URL !== '' && REDIS_URL !== '';
if (!ready) {
  if (process.env.CI !== undefined)
    throw new Error('CI must run the cluster scenario: .ci/run sets TESSERA_TEST_DATABASE_URL and TESSERA_TEST_REDIS_URL.');
  console.warn(
    'cluster.test.ts skipped: set TESSERA_TEST_DATABASE_URL (PostgreSQL) and TESSERA_TEST_REDIS_URL (Redis) to run it; .ci/run starts both.',
  );
}

const TASKS = 300;
const IN_FLIGHT = 12;
const TABS = 6;
const PROMPTS = Array.from({ length: 10 }, (_, i) => `Tessera cluster ${i}`);
const MAX_TOKENS = 8;

interface Answer {
  index: number;
  taskId: string | null;
  text: string;
  /** How the caller got it: its own stream, or polling another instance after its instance died. */
  via: 'stream' | 'poll' | 'resubmitted';
}

function withSchema(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function tabsOn(instance: CoordinatorProcess): Promise<number> {
  const snapshot = networkSnapshotSchema.parse(await (await fetch(`${instance.url}/api/v1/network`)).json());
  return snapshot.nodes.filter((node) => node.role === 'worker' && node.models.some((model) => model.state === 'loaded')).length;
}

describe.skipIf(!ready)('three coordinators on one PostgreSQL and one Redis, behind nginx', () => {
  const schema = `cluster_${Date.now().toString(36)}`;
  const dataDirs: string[] = [];
  let database: pg.Client;
  let instances: CoordinatorProcess[];
  let front: ClusterFront;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const tabs: Page[] = [];

  beforeAll(async () => {
    database = new pg.Client({ connectionString: DATABASE_URL });
    await database.connect();
    await database.query(`CREATE SCHEMA ${schema}`);
    const start = (): Promise<CoordinatorProcess> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
      dataDirs.push(dataDir);
      return startCoordinatorProcess(
        { port: 0, dataDir, rateLimitPerMinute: 0, logLevel: 'info', epochLengthMs: 20_000, trustProxy: 'loopback', ...E2E_ADMISSION },
        { TESSERA_DATABASE_URL: withSchema(DATABASE_URL, schema), TESSERA_REDIS_URL: REDIS_URL, TESSERA_REDIS_PREFIX: schema },
      );
    };
    // The first one migrates the schema; the others find it done.
    instances = [await start()];
    instances.push(...(await Promise.all([start(), start()])));
    front = await startClusterFront(instances.map((instance) => instance.port));
    browser = await launchChromium();
    for (let i = 0; i < TABS; i++) {
      // A context each: separate storage, so each tab is its own identity, as on separate machines.
      const context = await browser.newContext();
      contexts.push(context);
      tabs.push(await openVolunteerTab(context, front.url, { models: [TINY_GPT2_ID] }));
    }
    const deadline = Date.now() + 180_000;
    for (;;) {
      const counts = await Promise.all(instances.map(tabsOn));
      if (counts.reduce((a, b) => a + b, 0) === TABS) break;
      if (Date.now() > deadline) throw new Error(`tabs serving per instance: ${counts.join(', ')}\n${tabs.map(pageLogs).join('\n---\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await front?.close();
    await Promise.all((instances ?? []).map((instance) => instance.stop('SIGKILL')));
    await database?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await database?.end();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 300 of 300 through all three while one is killed, credits each once, leaves nothing running', async () => {
    const expected = new Map<string, string>();
    for (const prompt of PROMPTS) expected.set(prompt, await referenceGreedyCompletion(TINY_GPT2_ID, prompt, MAX_TOKENS));
    const spread = await Promise.all(instances.map(tabsOn));
    // Round-robin WebSocket connections: every instance holds tabs; the one killed holds the most.
    expect(spread.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
    const victim = spread.indexOf(Math.max(...spread));
    const dead = new Set<number>();
    const live = (): CoordinatorProcess[] => instances.filter((_, index) => !dead.has(index));
    const clients = instances.map((instance) => new OpenAI({ baseURL: `${instance.url}/v1`, apiKey: 'not-needed', maxRetries: 0 }));

    const poll = async (taskId: string): Promise<string> => {
      for (;;) {
        for (const instance of live()) {
          try {
            const view = taskViewSchema.parse(await (await fetch(`${instance.url}/api/v1/tasks/${taskId}`)).json());
            if (view.status === 'succeeded' && view.result !== null && 'choices' in view.result)
              return view.result.choices[0]?.message.content ?? '';
            if (view.status === 'failed' || view.status === 'cancelled') throw new Error(`task ${taskId} ${view.status}`);
          } catch (error) {
            if (error instanceof Error && error.message.startsWith('task ')) throw error;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    const ask = async (index: number, through: number): Promise<Answer> => {
      const prompt = PROMPTS[index % PROMPTS.length] ?? '';
      let taskId: string | null = null;
      try {
        const { data: stream, response } = await (clients[through] as OpenAI).chat.completions
          .create({
            model: TINY_GPT2_ID,
            messages: [{ role: 'user', content: prompt }],
            max_tokens: MAX_TOKENS,
            temperature: 0,
            stream: true,
          })
          .withResponse();
        taskId = response.headers.get('x-tessera-task-id');
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        return { index, taskId, text, via: 'stream' };
      } catch (error) {
        if (!dead.has(through)) throw error;
        // Its instance died under it: the task, if it was accepted, is served by the others.
        if (taskId !== null) return { index, taskId, text: await poll(taskId), via: 'poll' };
        const other = instances.indexOf(live()[index % live().length] as CoordinatorProcess);
        return { ...(await ask(index, other)), via: 'resubmitted' };
      }
    };

    const answers: Answer[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TASKS) {
        const index = next++;
        const targets = live();
        const through = instances.indexOf(targets[index % targets.length] as CoordinatorProcess);
        answers.push(await ask(index, through));
        if (answers.length === 100 && dead.size === 0) {
          dead.add(victim);
          await (instances[victim] as CoordinatorProcess).stop('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    expect(answers).toHaveLength(TASKS);
    for (const answer of answers) expect(answer.text).toBe(expected.get(PROMPTS[answer.index % PROMPTS.length] ?? ''));
    expect(dead.has(victim)).toBe(true);

    // Nothing left queued or running anywhere, once the survivors took the dead instance's tasks over.
    await expect
      .poll(
        async () =>
          (await database.query(`SELECT count(*)::int AS open FROM ${schema}.tasks WHERE status IN ('queued', 'assigned')`)).rows[0].open,
        {
          timeout: 30_000,
        },
      )
      .toBe(0);
    const ids = answers.flatMap((answer) => (answer.taskId === null ? [] : [answer.taskId]));
    const credits = await database.query(
      `SELECT task_id, count(*)::int AS times FROM ${schema}.credits WHERE task_id = ANY($1) GROUP BY task_id`,
      [ids],
    );
    expect(credits.rows.every((row: { times: number }) => row.times === 1)).toBe(true);
    expect(credits.rowCount).toBe(new Set(ids).size);

    // Every epoch that closed, closed once, by one instance.
    const closures = (): string[] =>
      instances.flatMap((instance) => [...instance.log().matchAll(/epoch (\d+) closed/g)].map((match) => match[1] ?? ''));
    // Epochs last 20 s here: the first one is due by now or soon.
    await expect.poll(() => closures().length, { timeout: 40_000 }).toBeGreaterThan(0);
    expect(new Set(closures()).size).toBe(closures().length);
  }, 300_000);
});
