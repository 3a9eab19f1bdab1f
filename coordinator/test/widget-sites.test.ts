import { TINY_GPT2_ID, siteViewSchema } from '@tessera/shared';
import type { SiteView } from '@tessera/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SITE_SHARE_SUFFIX } from '../src/rewards/ledger.ts';
import { siteLedgerKey } from '../src/sites/site-share.ts';
import { ScriptedTab, answerHonestly, loaded } from './support/testing.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

// Issue 14: the embeddable widget's server side. CORS on the API, the widget's files and their headers, sites
// and their share of the work done through their widgets.

const HOST = 'http://shop.example';

describe('the API across origins', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => app.close());

  it('answers a preflight for the OpenAI routes from any origin, without credentials', async () => {
    const response = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: HOST, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets a page read API answers and the task id header, but not the pages', async () => {
    const api = await fetch(`${app.url}/api/v1/network`, { headers: { origin: HOST } });
    expect(api.headers.get('access-control-allow-origin')).toBe('*');
    const missing = await fetch(`${app.url}/api/v1/tasks/nope`, { headers: { origin: HOST } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    const page = await fetch(`${app.url}/healthz`, { headers: { origin: HOST } });
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows only the listed origins when TESSERA_CORS_ORIGINS lists some', async () => {
    const listed = await startTestApp({ corsOrigins: 'http://a.example, http://b.example' });
    try {
      const preflight = (origin: string) =>
        fetch(`${listed.url}/v1/embeddings`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect((await preflight('http://b.example')).headers.get('access-control-allow-origin')).toBe('http://b.example');
      expect((await preflight('http://c.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await listed.close();
    }
  });
});

describe('the widget files', () => {
  let app: TestApp;
  let clientDir: string;
  beforeAll(async () => {
    clientDir = mkdtempSync(join(tmpdir(), 'tessera-widget-files-'));
    for (const file of ['index.html', 'widget-frame.html', 'widget-demo.html'])
      writeFileSync(join(clientDir, file), `<!doctype html><title>${file}</title>`);
    writeFileSync(join(clientDir, 'widget.js'), 'export {};');
    app = await startTestApp({ clientDir });
  });
  afterAll(async () => {
    await app.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it('serves /widget.js to module scripts of any origin', async () => {
    const response = await fetch(`${app.url}/widget.js`, { headers: { origin: HOST } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('lets any site frame /widget-frame, and no site frame the other pages', async () => {
    const frame = await fetch(`${app.url}/widget-frame?mode=chat`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect(frame.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(frame.headers.get('x-frame-options')).toBeNull();
    for (const path of ['/', '/widget-demo', '/playground']) {
      const page = await fetch(`${app.url}${path}`);
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

describe('sites and their share', () => {
  let app: TestApp;
  const tabs: ScriptedTab[] = [];
  beforeAll(async () => {
    app = await startTestApp({ siteShare: '10%' });
  });
  afterEach(() => {
    for (const tab of tabs.splice(0)) tab.close();
  });
  afterAll(async () => app.close());

  async function register(body: unknown): Promise<Response> {
    return fetch(`${app.url}/api/v1/sites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  async function site(key: string): Promise<SiteView> {
    return siteViewSchema.parse(await (await fetch(`${app.url}/api/v1/sites/${key}`)).json());
  }
  async function serveOneTask(embeddedIn: { pageOrigin: string | null; siteKey: string | null }): Promise<ScriptedTab> {
    const tab = new ScriptedTab({ url: app.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly, embeddedIn });
    tabs.push(tab);
    await tab.ready();
    await eventually(
      async () => {
        const network = (await (await fetch(`${app.url}/api/v1/network`)).json()) as {
          nodes: Array<{ nodeId: string; models: Array<{ id: string; state: string }> }>;
        };
        return network.nodes.find((node) => node.nodeId === tab.nodeId)?.models.some((model) => model.id === TINY_GPT2_ID)
          ? true
          : undefined;
      },
      10_000,
      'the tab to serve',
    );
    const answer = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'hello there' }], temperature: 0 }),
    });
    expect(answer.status).toBe(200);
    tab.close();
    return tab;
  }
  function creditOf(publicKey: string): Array<{ task_id: string; amount: string; status: string }> {
    return app.app.tessera.ledger
      .history(publicKey)
      .map((entry) => ({ task_id: entry.taskId, amount: entry.amount, status: entry.status }));
  }

  it('registers a site and answers its public key; refuses bad bodies and unknown keys in the OpenAI shape', async () => {
    expect((await register({ origins: ['http://shop.example/path'], account: '0.0.1234' })).status).toBe(400);
    expect((await register({ origins: [HOST] })).status).toBe(400);
    expect((await register({ origins: [HOST], account: '0.0.1234', publicKey: 'x'.repeat(43) })).status).toBe(400);
    const created = await register({ origins: [HOST, 'https://www.shop.example'], account: '0.0.1234' });
    expect(created.status).toBe(201);
    const view = siteViewSchema.parse(await created.json());
    expect(view).toMatchObject({
      origins: [HOST, 'https://www.shop.example'],
      account: '0.0.1234',
      publicKey: null,
      visitors: 0,
      tasks: 0,
    });
    expect(view.siteKey).toMatch(/^site_[A-Za-z0-9_-]{22}$/);
    const missing = await fetch(`${app.url}/api/v1/sites/site_AAAAAAAAAAAAAAAAAAAAAA`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'site_not_found' } });
  });

  it("credits the site 10 % of the visitor's credit on top of it, only from its own origins, and settles it to its account", async () => {
    const { siteKey } = siteViewSchema.parse(await (await register({ origins: [HOST], account: '0.0.4321' })).json());
    const visitor = await serveOneTask({ pageOrigin: HOST, siteKey });
    const [visitorCredit] = creditOf(visitor.identity.publicKey).filter((entry) => !entry.task_id.includes('~'));
    if (visitorCredit === undefined) throw new Error('the visitor was not credited');
    const share = (BigInt(visitorCredit.amount) * 100n) / 1000n;
    expect(share).toBeGreaterThan(0n);
    const shareRow = creditOf(siteLedgerKey(siteKey)).find((entry) => entry.task_id === `${visitorCredit.task_id}${SITE_SHARE_SUFFIX}`);
    expect(shareRow).toMatchObject({ amount: share.toString(), status: visitorCredit.status });
    expect(await site(siteKey)).toMatchObject({ visitors: 1, tasks: 1, credit: { escrowed: share.toString(), credited: '0' } });

    // Not one of its origins, or no origin the frame could read: the widget works, the site earns nothing.
    await serveOneTask({ pageOrigin: 'http://elsewhere.example', siteKey });
    await serveOneTask({ pageOrigin: null, siteKey });
    await serveOneTask({ pageOrigin: HOST, siteKey: null });
    expect(await site(siteKey)).toMatchObject({ visitors: 1, tasks: 1, credit: { escrowed: share.toString() } });

    // The epoch closes: the share is paid to the account's long-zero EVM address, in the same tree as volunteers.
    const closed = app.app.tessera.ledger.closeEpoch(app.app.tessera.accounts);
    expect(closed.root).not.toBeNull();
    const claims = app.app.tessera.ledger.claims('0x00000000000000000000000000000000000010e1');
    expect(claims).toHaveLength(1);
    expect(claims[0]?.amount).toBe(share.toString());
    expect(await site(siteKey)).toMatchObject({ credit: { escrowed: '0', settled: share.toString() } });
  });

  it("forfeits the site's escrowed share with the visitor's when the visitor is caught", async () => {
    const { siteKey } = siteViewSchema.parse(await (await register({ origins: [HOST], account: '0.0.99' })).json());
    const visitor = await serveOneTask({ pageOrigin: HOST, siteKey });
    expect((await site(siteKey)).credit.escrowed).not.toBe('0');
    app.app.tessera.ledger.slashEscrow(visitor.identity.publicKey);
    const after = await site(siteKey);
    expect(after.credit.escrowed).toBe('0');
    expect(after.credit.slashed).not.toBe('0');
  });

  it('lists sites by tasks served', async () => {
    const list = (await (await fetch(`${app.url}/api/v1/sites`)).json()) as { sites: SiteView[] };
    expect(list.sites.length).toBeGreaterThanOrEqual(3);
    expect(list.sites[0]?.tasks).toBe(1);
  });
});
