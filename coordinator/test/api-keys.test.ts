import { TINY_GPT2_ID, apiUsageSchema, createdApiKeySchema, openAIErrorBodySchema } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI, { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, type AssignmentHandler } from './support/scripted-tab.ts';
import { metric } from './support/task-observations.ts';
import { testDatabaseUrl } from './support/test-database.ts';
import { servingTab as servingTabOf } from './support/serving-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();
const ADMIN = 'admin-secret-for-tests';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function servingTab(server: TestApp, onAssign: AssignmentHandler = answerHonestly): Promise<ScriptedTab> {
  return servingTabOf(server, track, { onAssign });
}

async function createKey(server: TestApp, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tessera-admin-token': ADMIN },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return createdApiKeySchema.parse(await response.json()).key;
}

function clientWith(server: TestApp, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
}

async function usage(server: TestApp, key: string): Promise<ReturnType<typeof apiUsageSchema.parse>> {
  const response = await fetch(`${server.url}/api/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return apiUsageSchema.parse(await response.json());
}

describe('API keys: priority, quotas, usage, their own rate limit', () => {
  it('the admin API makes a key shown once; the official client uses it; usage counts its tokens; a revoked key is refused', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const noToken = await fetch(`${server.url}/api/v1/admin/keys`);
    expect(noToken.status).toBe(401);
    expect(openAIErrorBodySchema.parse(await noToken.json()).error.code).toBe('invalid_admin_token');
    const key = await createKey(server, { name: 'ci' });
    const listed = await (await fetch(`${server.url}/api/v1/admin/keys`, { headers: { 'x-tessera-admin-token': ADMIN } })).text();
    expect(listed).not.toContain(key);
    expect(listed).toContain(key.slice(0, 11));

    await servingTab(server);
    const completion = await clientWith(server, key).chat.completions.create({
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: 'with my key' }],
    });
    expect(completion.choices[0]?.message.content).toBe('echo: with my key');
    const used = await usage(server, key);
    expect(used.requests).toBe(1);
    expect(used.used_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    expect(used.used_tokens).toBeGreaterThan(0);

    const id = used.key.id;
    const revoked = await fetch(`${server.url}/api/v1/admin/keys/${id}`, { method: 'DELETE', headers: { 'x-tessera-admin-token': ADMIN } });
    expect(revoked.status).toBe(200);
    const refused = await clientWith(server, key)
      .chat.completions.create({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'again' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(401);
    expect((refused as APIError).code).toBe('invalid_api_key');
    // A made-up key is refused the same way; a token that is not a Tessera key is an anonymous caller.
    const madeUp = await clientWith(server, `tsra_${'x'.repeat(43)}`)
      .chat.completions.create({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'guess' }] })
      .catch((error: unknown) => error);
    expect((madeUp as APIError).status).toBe(401);
    const anonymous = await clientWith(server, 'sk-anything').chat.completions.create({
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: 'anonymous' }],
    });
    expect(anonymous.choices[0]?.message.content).toBe('echo: anonymous');
  });

  it('a key over its token quota gets 429 insufficient_quota, and nothing is stored', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    await servingTab(server);
    const key = await createKey(server, { name: 'small', quota_tokens: 1 });
    const client = clientWith(server, key);
    await client.chat.completions.create({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'first' }] });
    const submitted = await metric(server, 'tessera_tasks_submitted_total{kind="chat"}');
    const over = await client.chat.completions
      .create({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'second' }] })
      .catch((error: unknown) => error);
    expect(over).toBeInstanceOf(APIError);
    expect((over as APIError).status).toBe(429);
    expect((over as APIError).code).toBe('insufficient_quota');
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(submitted);
    expect((await usage(server, key)).remaining_tokens).toBe(0);
  });

  it("a key's task runs before anonymous tasks that waited longer", async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const held: TaskAssign[] = [];
    const tab = await servingTab(server, (assign) => held.push(assign));
    const key = await createKey(server, { name: 'paying', priority: 0 });
    const post = (content: string, authorization?: string): Promise<Response> =>
      fetch(`${server.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
        body: JSON.stringify({ type: 'chat.completion', request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content }] } }),
      });
    // The tab's one slot is taken; two anonymous tasks wait, then one with the key.
    expect((await post('busy')).status).toBe(202);
    const first = await eventually(() => held[0], 3000, 'the tab busy');
    expect((await post('anonymous 1')).status).toBe(202);
    expect((await post('anonymous 2')).status).toBe(202);
    expect((await post('keyed', `Bearer ${key}`)).status).toBe(202);
    answerHonestly(first, tab);
    const next = await eventually(() => held[1], 3000, 'the next assignment');
    expect(JSON.stringify(next.task)).toContain('keyed');
  });

  it('with TESSERA_REQUIRE_API_KEY the API refuses anonymous callers; the pages’ reads still answer', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN, requireApiKey: '1' }));
    const anonymous = await fetch(`${server.url}/v1/models`);
    expect(anonymous.status).toBe(401);
    expect(openAIErrorBodySchema.parse(await anonymous.json()).error.code).toBe('invalid_api_key');
    expect((await fetch(`${server.url}/api/v1/network`)).status).toBe(200);
    const key = await createKey(server, { name: 'required' });
    expect((await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });

  it('a key has its own rate limit, apart from the address it calls from', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN, rateLimitPerMinute: 600 }));
    const key = await createKey(server, { name: 'limited', requests_per_minute: 2 });
    const models = (authorization?: string): Promise<number> =>
      fetch(`${server.url}/v1/models`, { headers: authorization === undefined ? {} : { authorization } }).then(
        (response) => response.status,
      );
    expect([await models(`Bearer ${key}`), await models(`Bearer ${key}`), await models(`Bearer ${key}`)]).toEqual([200, 200, 429]);
    expect(await models()).toBe(200);
  });

  it('npm run keys -- create makes a key the coordinator on that data directory accepts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    // The store the test app will open for this directory: SQLite, or its PostgreSQL schema in that project.
    const databaseUrl = await testDatabaseUrl(dataDir);
    const output = execFileSync(
      'npx',
      ['tsx', 'coordinator/src/keys/keys-cli.ts', 'create', '--name', 'from-cli', '--priority', '2', '--json'],
      {
        cwd: repoRoot,
        env: { ...process.env, TESSERA_DATA_DIR: dataDir, TESSERA_DATABASE_URL: databaseUrl },
        encoding: 'utf8',
      },
    );
    const created = createdApiKeySchema.parse(JSON.parse(output));
    expect(created.priority).toBe(2);
    const server = track(await startTestApp({}, dataDir));
    const used = await usage(server, created.key);
    expect(used.key.name).toBe('from-cli');
    const help = execFileSync('npx', ['tsx', 'coordinator/src/keys/keys-cli.ts', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(help).toContain('Usage: npm run keys');
  }, 30_000);
});
