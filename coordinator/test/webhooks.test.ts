import {
  CANCEL_TOKEN_HEADER,
  TINY_GPT2_ID,
  WEBHOOK_ATTEMPT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TASK_HEADER,
  createdApiKeySchema,
  createdTaskViewSchema,
  openAIErrorBodySchema,
  parseWebhookSignature,
  taskViewSchema,
} from '@tessera/shared';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { verifyTesseraWebhook } from './snippets/verify-webhook.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();
const ADMIN = 'admin-secret-for-webhook-tests';
/** Loopback receivers need the operator's allowance; retries fast enough for a test. */
const LOCAL_WEBHOOKS = { adminToken: ADMIN, webhookAllowPrivate: '1', webhookRetryBaseMs: 50 };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on loopback answering each POST with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[] = [200]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(parts).toString('utf8'), at: Date.now() });
      response.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tessera`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function createKey(server: TestApp): Promise<{ key: string; secret: string }> {
  const response = await fetch(`${server.url}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tessera-admin-token': ADMIN },
    body: JSON.stringify({ name: 'hooks' }),
  });
  expect(response.status).toBe(201);
  const created = createdApiKeySchema.parse(await response.json());
  return { key: created.key, secret: created.webhook_secret };
}

function submit(server: TestApp, key: string | null, webhookUrl: string, waitForTab = true): Promise<Response> {
  return fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({
      type: 'chat.completion',
      request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'call me back' }] },
      wait_for_tab: waitForTab,
      webhook_url: webhookUrl,
    }),
  });
}

/** Submits a task that waits for a tab, then cancels it: a terminal state without any tab. */
async function cancelledTask(server: TestApp, key: string, webhookUrl: string): Promise<string> {
  const response = await submit(server, key, webhookUrl);
  expect(response.status).toBe(202);
  const created = createdTaskViewSchema.parse(await response.json());
  const cancelled = await fetch(`${server.url}/api/v1/tasks/${created.id}`, {
    method: 'DELETE',
    headers: { [CANCEL_TOKEN_HEADER]: created.cancel_token },
  });
  expect(cancelled.status).toBe(200);
  return created.id;
}

/** What a receiver does: the README's function (snippets/verify-webhook.ts) on the signature header and raw body. */
function verified(secret: string, delivery: Received): boolean {
  const header = delivery.headers[WEBHOOK_SIGNATURE_HEADER];
  return typeof header === 'string' && verifyTesseraWebhook(secret, header, delivery.body);
}

describe('webhooks of async tasks', () => {
  it("POSTs the ended task's view once, signed with the key's webhook secret", async () => {
    const hooks = track(await receiver());
    const server = track(await startTestApp(LOCAL_WEBHOOKS));
    const { key, secret } = await createKey(server);
    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await tab.ready();
    const response = await submit(server, key, hooks.url);
    expect(response.status).toBe(202);
    const { id } = createdTaskViewSchema.parse(await response.json());

    const delivery = await eventually(() => hooks.received.at(0), 10_000, 'the webhook');
    const view = taskViewSchema.parse(JSON.parse(delivery.body));
    expect(view.status).toBe('succeeded');
    expect(view).toEqual(taskViewSchema.parse(await (await fetch(`${server.url}/api/v1/tasks/${id}`)).json()));
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers[WEBHOOK_TASK_HEADER]).toBe(id);
    expect(delivery.headers[WEBHOOK_ATTEMPT_HEADER]).toBe('1');
    expect(verified(secret, delivery)).toBe(true);
    // The signature binds the body and the secret: a changed body or another secret does not verify.
    expect(verified(secret, { ...delivery, body: delivery.body.replace('succeeded', 'failed') })).toBe(false);
    expect(verified(`whsec_${'A'.repeat(43)}`, delivery)).toBe(false);
    expect(parseWebhookSignature(String(delivery.headers[WEBHOOK_SIGNATURE_HEADER]))).toBeDefined();
    const signedAt = parseWebhookSignature(String(delivery.headers[WEBHOOK_SIGNATURE_HEADER]))?.timestampMs ?? 0;
    expect(Math.abs(signedAt - delivery.at)).toBeLessThan(5000);

    await eventually(() => (server.app.tessera.webhookDeliveries.state(id)?.status === 'delivered' ? true : undefined), 2000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.received).toHaveLength(1);
  });

  it('retries a receiver that fails twice with backoff: three attempts, then delivered', async () => {
    const hooks = track(await receiver([500, 503, 204]));
    const server = track(await startTestApp(LOCAL_WEBHOOKS));
    const { key, secret } = await createKey(server);
    const id = await cancelledTask(server, key, hooks.url);

    await eventually(
      () => (server.app.tessera.webhookDeliveries.state(id)?.status === 'delivered' ? true : undefined),
      10_000,
      'delivered',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.received.map((delivery) => delivery.headers[WEBHOOK_ATTEMPT_HEADER])).toEqual(['1', '2', '3']);
    expect(hooks.received.every((delivery) => verified(secret, delivery))).toBe(true);
    expect(taskViewSchema.parse(JSON.parse(hooks.received[2]?.body ?? '')).status).toBe('cancelled');
    // Backoff: 50 ms then 100 ms (less up to a fifth), measured at the receiver.
    const [first, second, third] = hooks.received.map((delivery) => delivery.at);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(35);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(75);
    expect(server.app.tessera.webhookDeliveries.state(id)).toEqual({ status: 'delivered', attempts: 3, lastError: null });
  });

  it('gives up after TESSERA_WEBHOOK_MAX_ATTEMPTS and says why', async () => {
    const hooks = track(await receiver([500]));
    const server = track(await startTestApp({ ...LOCAL_WEBHOOKS, webhookMaxAttempts: 2 }));
    const { key } = await createKey(server);
    const id = await cancelledTask(server, key, hooks.url);
    await eventually(() => (server.app.tessera.webhookDeliveries.state(id)?.status === 'failed' ? true : undefined), 10_000, 'given up');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.received).toHaveLength(2);
    expect(server.app.tessera.webhookDeliveries.state(id)).toEqual({ status: 'failed', attempts: 2, lastError: 'HTTP 500' });
  });

  it('resumes a pending retry after a restart on the same database', async () => {
    const hooks = track(await receiver([500, 200]));
    const first = await startTestApp({ ...LOCAL_WEBHOOKS, webhookRetryBaseMs: 1500 });
    const { dataDir } = first;
    track({ close: () => rmSync(dataDir, { recursive: true, force: true }) });
    const { key, secret } = await createKey(first);
    const id = await cancelledTask(first, key, hooks.url);
    await eventually(() => hooks.received.at(0), 5000, 'the first attempt');
    await eventually(() => (first.app.tessera.webhookDeliveries.state(id)?.attempts === 1 ? true : undefined), 2000);
    await first.app.close();
    expect(hooks.received).toHaveLength(1);

    const second = track(await startTestApp({ ...LOCAL_WEBHOOKS, webhookRetryBaseMs: 1500 }, dataDir));
    const retried = await eventually(() => hooks.received.at(1), 10_000, 'the retry after the restart');
    expect(retried.headers[WEBHOOK_ATTEMPT_HEADER]).toBe('2');
    expect(verified(secret, retried)).toBe(true);
    await eventually(() => (second.app.tessera.webhookDeliveries.state(id)?.status === 'delivered' ? true : undefined), 2000);
  });

  it('the README shows the verification function verbatim', () => {
    const source = readFileSync(new URL('./snippets/verify-webhook.ts', import.meta.url), 'utf8');
    const shown = source.slice(source.indexOf('// README: from here\n') + '// README: from here\n'.length).trimEnd();
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(['```ts', shown, '```'].join('\n'));
  });

  it('refuses at submit, storing nothing: no key, loopback, private and link-local addresses, localhost, a non-http scheme', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const { key } = await createKey(server);
    const refusals: [string | null, string, string][] = [
      [null, 'https://hooks.example.com/tessera', 'webhook_url_refused'],
      [key, 'http://127.0.0.1:9/hook', 'webhook_url_refused'],
      [key, 'http://10.1.2.3/hook', 'webhook_url_refused'],
      [key, 'http://192.168.1.1/hook', 'webhook_url_refused'],
      [key, 'http://169.254.169.254/latest/meta-data', 'webhook_url_refused'],
      [key, 'http://[::1]:8080/hook', 'webhook_url_refused'],
      [key, 'http://[::ffff:127.0.0.1]/hook', 'webhook_url_refused'],
      [key, 'http://localhost:8080/hook', 'webhook_url_refused'],
      [key, 'ftp://hooks.example.com/tessera', 'invalid_request'],
      [key, `https://hooks.example.com/${'a'.repeat(2048)}`, 'invalid_request'],
    ];
    for (const [caller, url, code] of refusals) {
      const response = await submit(server, caller, url);
      expect(response.status, url).toBe(400);
      const body = openAIErrorBodySchema.parse(await response.json());
      expect(body.error.code, url).toBe(code);
      if (code === 'webhook_url_refused') expect(body.error.param).toBe('webhook_url');
    }
    expect(server.app.tessera.dispatcher.openCounts()).toEqual({ queued: 0, assigned: 0 });
    const usage = await (await fetch(`${server.url}/api/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(usage).toMatchObject({ requests: 0 });
  });
});
