import { MODEL_CATALOG, TINY_GPT2_ID, findModel, siteViewSchema, WIDGET_PROTOCOL } from '@tessera/shared';
import { ScriptedTab, chatOutput, loaded } from '@tessera/coordinator/testing';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { networkSnapshot, waitForServingTabs } from './support/network-state.ts';
import { referenceGreedyCompletion } from './support/node-reference.ts';
import { startWidgetHost, widgetEvents, widgetFrame, type WidgetHost } from './support/widget-host.ts';

// Issue 14: the embeddable widget, tried from a real third-party origin (the host on http://localhost:P2, the
// coordinator on http://127.0.0.1:P1: two sites, so the frame gets no storage at all in this Chromium).

const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;
if (canary == null) throw new Error('tiny-gpt2 has no canary');
const SCREENSHOT = fileURLToPath(new URL('./screenshots/widget-demo-390.png', import.meta.url));
const XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

describe('the embeddable widget on another origin', () => {
  let coordinator: RunningCoordinator;
  let host: WidgetHost;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function context(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  }
  async function coordinatorPost(path: string, body: unknown): Promise<Response> {
    return fetch(`${coordinator.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  async function complete(content: string): Promise<string> {
    const response = await coordinatorPost('/v1/chat/completions', {
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content }],
      max_tokens: canary?.maxTokens,
      temperature: 0,
    });
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    return body.choices[0]?.message.content ?? '';
  }
  async function workerTabs(): Promise<number> {
    return (await networkSnapshot(coordinator.url)).nodes.filter((node) => node.role === 'worker').length;
  }

  beforeAll(async () => {
    coordinator = await startCoordinator({ knownAnswerIntervalMs: 0 });
    host = await startWidgetHost(coordinator.url);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await coordinator?.close();
  });

  describe('contribute mode', () => {
    let page: Page;
    let frame: Frame;
    let siteKey: string;
    const requests: string[] = [];

    beforeAll(async () => {
      const created = await coordinatorPost('/api/v1/sites', { origins: [host.origin], account: '0.0.5005' });
      siteKey = siteViewSchema.parse(await created.json()).siteKey;
      const visitor = await context();
      visitor.on('request', (request) => requests.push(request.url()));
      page = await visitor.newPage();
      await page.goto(host.pageUrl({ mode: 'contribute', models: TINY_GPT2_ID, 'site-key': siteKey, peers: 'off', 'max-cpu': '1' }));
      frame = await widgetFrame(page, coordinator.url);
    });

    it('connects nowhere, loads nothing and keeps nothing before consent', async () => {
      await frame.getByTestId('widget-consent').waitFor();
      await page.waitForTimeout(1_500);
      expect(await workerTabs()).toBe(0);
      const fromCoordinator = requests.filter((url) => url.startsWith(coordinator.url)).map((url) => new URL(url).pathname);
      expect(fromCoordinator.length).toBeGreaterThan(2);
      expect(
        fromCoordinator.filter(
          (path) => !(path === '/widget.js' || path === '/widget-frame' || /^\/assets\/[\w.-]+\.(js|css)$/.test(path)),
        ),
      ).toEqual([]);
      expect(requests.filter((url) => !url.startsWith(coordinator.url) && !url.startsWith(host.origin))).toEqual([]);
      expect(await frame.getByTestId('widget-state').getAttribute('data-phase')).toBe('asking');
    });

    it('keeps the frame out of reach of the host page, and ignores what the host forges', async () => {
      const probe = await page.evaluate(async (protocol) => {
        const element = document.querySelector('tessera-widget') as (HTMLElement & { shadowRoot: ShadowRoot | null }) | null;
        const frames = [...document.querySelectorAll('iframe')];
        let contentReadable = false;
        // The host's own storage holds nothing of Tessera (the key lives in the frame, or in its memory).
        const databases = (await indexedDB.databases()).map((database) => database.name ?? '');
        // Forged notices posted to itself look like the frame's: the element reads only its frame's window.
        window.postMessage({ protocol, type: 'answer', id: 'forged', text: 'forged' }, '*');
        window.postMessage({ protocol, type: 'serving' }, '*');
        for (const frameWindow of [...Array(window.frames.length).keys()].map((index) => window.frames[index])) {
          try {
            contentReadable = contentReadable || frameWindow?.document !== undefined;
          } catch {
            // Cross-origin: reading it throws, as it should.
          }
          // Forged commands into the frame: none of them is a consent, and none parses as one.
          frameWindow?.postMessage({ protocol, type: 'consent', granted: true }, '*');
          frameWindow?.postMessage({ protocol, type: 'start' }, '*');
          frameWindow?.postMessage({ protocol, type: 'ask', id: 'q', text: 'leak', publicKey: 'x' }, '*');
          frameWindow?.postMessage('grant', '*');
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { shadowRoot: element?.shadowRoot ?? null, iframesInLightDom: frames.length, contentReadable, databases };
      }, WIDGET_PROTOCOL);
      expect(probe).toEqual({ shadowRoot: null, iframesInLightDom: 0, contentReadable: false, databases: [] });
      expect((await widgetEvents(page)).map((event) => event.type)).toEqual([]);
      await page.waitForTimeout(1_000);
      expect(await workerTabs()).toBe(0);
      expect(await frame.getByTestId('widget-state').getAttribute('data-phase')).toBe('asking');
    });

    it('joins as a worker after consent, serves real tasks sent through the API, and credits the site and the visitor', async () => {
      const consentAt = await page.evaluate(() => performance.now());
      await frame.getByTestId('widget-consent').click();
      await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(page));
      await expect
        .poll(async () => (await widgetEvents(page)).map((event) => event.type), { timeout: 30_000 })
        .toContain('tessera:serving');
      expect((await widgetEvents(page))[0]).toMatchObject({ type: 'tessera:consent', detail: { granted: true, remembered: false } });
      expect(await frame.getByTestId('widget-memory').textContent()).toContain('asked again');

      const reference = await referenceGreedyCompletion(TINY_GPT2_ID, canary.prompt, canary.maxTokens);
      for (let index = 0; index < 3; index++) expect(await complete(canary.prompt)).toBe(reference);
      await expect
        .poll(async () => Number(await frame.getByTestId('widget-tasks-served').textContent()), { timeout: 10_000 })
        .toBeGreaterThanOrEqual(3);

      const [node] = (await networkSnapshot(coordinator.url)).nodes;
      const site = siteViewSchema.parse(await (await fetch(`${coordinator.url}/api/v1/sites/${siteKey}`)).json());
      expect(site).toMatchObject({ visitors: 1 });
      expect(site.tasks).toBeGreaterThanOrEqual(3);
      expect(BigInt(site.credit.escrowed)).toBeGreaterThan(0n);
      const visitor = coordinator.app.tessera.ledger
        .leaderboard()
        .find((entry) => node !== undefined && entry.publicKey.startsWith(node.keyFingerprint));
      expect(visitor).toBeDefined();
      // The site's share is 10 % of the visitor's credit, on top of it.
      expect(BigInt(site.credit.escrowed)).toBe(((visitor?.earned ?? 0n) * 100n) / 1000n);
      await expect.poll(async () => frame.getByTestId('widget-earned').textContent(), { timeout: 15_000 }).not.toBe('–');

      // The host page's main thread was never blocked while its visitor served (the engine runs in the frame's worker).
      const longTasks = await page.evaluate(
        (since) =>
          (window as unknown as { longTasks: Array<{ start: number; duration: number }> }).longTasks.filter((task) => task.start >= since),
        consentAt,
      );
      expect(longTasks.filter((task) => task.duration > 100)).toEqual([]);
    });

    it("shows the site's visitors, tasks and share on the dashboard", async () => {
      const dashboard = await (await context()).newPage();
      await dashboard.goto(`${coordinator.url}/dashboard`);
      const row = dashboard.getByTestId('dashboard-sites').locator('tr', { hasText: host.origin });
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toBe(`${siteKey.slice(0, 13)}…`);
      expect(cells[2]).toBe('1');
      expect(Number(cells[3])).toBeGreaterThanOrEqual(3);
      expect(cells[4]).not.toMatch(/^0 /);
      await dashboard.close();
    });

    it('pauses while the page is hidden and comes back when it is shown', async () => {
      // Headless Chromium never hides a page, so the frame's document is told it is hidden, as a browser would tell it.
      const setVisibility = (state: 'hidden' | 'visible') =>
        frame.evaluate((next) => {
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => next });
          document.dispatchEvent(new Event('visibilitychange'));
        }, state);
      await setVisibility('hidden');
      await expect.poll(workerTabs, { timeout: 10_000 }).toBe(0);
      expect(await frame.getByTestId('widget-state').getAttribute('data-phase')).toBe('paused');
      await expect
        .poll(async () => (await widgetEvents(page)).some((event) => event.type === 'tessera:stopped' && event.detail.reason === 'hidden'))
        .toBe(true);
      await setVisibility('visible');
      await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 60_000, () => pageLogs(page));
      expect(await complete(canary.prompt)).toBe(canary.expectedCompletion);
    });

    it('revoking stops work at once and forgets the key', async () => {
      await frame.getByTestId('widget-revoke').click();
      await expect.poll(workerTabs, { timeout: 10_000 }).toBe(0);
      await expect
        .poll(async () => (await widgetEvents(page)).some((event) => event.type === 'tessera:stopped' && event.detail.reason === 'revoked'))
        .toBe(true);
      // The frame starts over: asking for consent, with nothing of the visit left.
      const fresh = await widgetFrame(page, coordinator.url);
      await fresh.getByTestId('widget-consent').waitFor({ timeout: 20_000 });
      await page.waitForTimeout(1_000);
      expect(await workerTabs()).toBe(0);
    });
  });

  describe('chat mode', () => {
    let volunteers: BrowserContext;

    beforeAll(async () => {
      volunteers = await context();
      await openVolunteerTab(volunteers, coordinator.url, { models: [TINY_GPT2_ID] });
      await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID]);
    });

    it('streams an answer from the network into the frame, and to the host through ask()', async () => {
      const page = await (await context()).newPage();
      await page.goto(host.pageUrl({ mode: 'chat', model: TINY_GPT2_ID }));
      const frame = await widgetFrame(page, coordinator.url);
      const asked = page.evaluate(async () =>
        (document.querySelector('tessera-widget') as unknown as { ask(text: string): Promise<string> }).ask('Tessera'),
      );
      // Every text the answer showed while it streamed, watched from before the question can leave (consent).
      await frame.evaluate(() => {
        const seen = new Set<string>();
        Object.assign(window, { seenTexts: seen });
        new MutationObserver(() => {
          const last = [...document.querySelectorAll('[data-role="assistant"] .text')].at(-1);
          if (last?.textContent) seen.add(last.textContent);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      const streamed = page.waitForResponse((response) => response.url().endsWith('/v1/chat/completions'));
      await frame.getByTestId('widget-consent').click();
      const reference = await referenceGreedyCompletion(TINY_GPT2_ID, 'Tessera', 128);
      expect(await asked).toBe(reference);
      // The answer reached the frame in pieces (server-sent events), and the frame showed only its prefixes.
      const body = await (await streamed).text();
      const pieces = body.split('\n\n').filter((event) => /^data: \{.*"content":"[^"]/.test(event));
      expect(pieces.length).toBeGreaterThan(1);
      const seen = await frame.evaluate(() => [...(window as unknown as { seenTexts: Set<string> }).seenTexts]);
      expect(seen.at(-1)).toBe(reference);
      // How many of them the page painted depends on how fast they came (one frame may show several).
      expect(seen.every((text) => reference.startsWith(text))).toBe(true);
      const answers = (await widgetEvents(page)).filter((event) => event.type === 'tessera:answer');
      expect(answers).toHaveLength(1);
      expect(answers[0]?.detail.text).toBe(reference);
    });

    it('shows markup in an answer as text, and runs none of it', async () => {
      await volunteers.close();
      await expect.poll(workerTabs, { timeout: 10_000 }).toBe(0);
      // A worker that answers with an XSS payload, with real token ids the coordinator's count accepts.
      const liar = new ScriptedTab({
        url: coordinator.url,
        models: [loaded(TINY_GPT2_ID)],
        onAssign: (assign, tab) => {
          tab.socket.emit('task:accept', { taskId: assign.taskId });
          const output = chatOutput(XSS);
          tab.socket.emit('task:chunk', { taskId: assign.taskId, seq: 0, delta: output.text });
          tab.sendResult(assign.taskId, output, { promptTokens: 1, completionTokens: output.tokenIds.length });
        },
      });
      try {
        await liar.ready();
        await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 20_000);
        const page = await (await context()).newPage();
        await page.goto(host.pageUrl({ mode: 'chat', model: TINY_GPT2_ID }));
        const frame = await widgetFrame(page, coordinator.url);
        await frame.getByTestId('widget-consent').click();
        await frame.getByTestId('widget-chat-input').fill('say something');
        await frame.getByTestId('widget-chat-send').click();
        const answer = frame.locator('[data-role="assistant"] .text');
        await expect.poll(() => answer.textContent(), { timeout: 20_000 }).toBe(XSS);
        expect(
          await frame.locator('[data-testid="widget-chat-transcript"] img, [data-testid="widget-chat-transcript"] script').count(),
        ).toBe(0);
        await page.waitForTimeout(500);
        expect(await frame.evaluate(() => Reflect.get(window, '__pwned'))).toBeUndefined();
        expect(await page.evaluate(() => Reflect.get(window, '__pwned'))).toBeUndefined();
        // What the visitor typed stays in the frame: the host hears no answer it did not ask for.
        expect((await widgetEvents(page)).filter((event) => event.type === 'tessera:answer')).toEqual([]);
      } finally {
        liar.close();
      }
    });
  });

  describe('politeness', () => {
    it('rests while the battery is low and off the charger, and works once it charges', async () => {
      await expect.poll(workerTabs, { timeout: 10_000 }).toBe(0);
      const visitor = await context();
      // Headless Chromium reports a full, charging battery: this visitor's is at 10 % and draining.
      await visitor.addInitScript(() => {
        const battery = Object.assign(new EventTarget(), { level: 0.1, charging: false });
        Object.assign(window, { testBattery: battery });
        Object.defineProperty(Navigator.prototype, 'getBattery', { configurable: true, value: () => Promise.resolve(battery) });
      });
      const page = await visitor.newPage();
      await page.goto(host.pageUrl({ mode: 'contribute', models: TINY_GPT2_ID, peers: 'off' }));
      const frame = await widgetFrame(page, coordinator.url);
      await frame.getByTestId('widget-consent').click();
      await expect.poll(() => frame.getByTestId('widget-state').textContent(), { timeout: 10_000 }).toContain('battery');
      await page.waitForTimeout(1_500);
      expect(await workerTabs()).toBe(0);
      await frame.evaluate(() => {
        const battery = Reflect.get(window, 'testBattery') as EventTarget & { charging: boolean };
        battery.charging = true;
        battery.dispatchEvent(new Event('chargingchange'));
      });
      await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 60_000, () => pageLogs(page));
      await frame.getByTestId('widget-stop').click();
      await expect.poll(workerTabs, { timeout: 10_000 }).toBe(0);
    });
  });

  describe('layout', () => {
    it('works at 320 px on a host page with aggressive global CSS', async () => {
      const page = await (await context({ viewport: { width: 320, height: 640 } })).newPage();
      await page.goto(host.pageUrl({ mode: 'both', model: TINY_GPT2_ID }, { hostile: true }));
      const frame = await widgetFrame(page, coordinator.url);
      const consent = frame.getByTestId('widget-consent');
      await consent.waitFor();
      const box = await consent.boundingBox();
      expect(box).not.toBeNull();
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(320);
      const frameBox = await (await frame.frameElement()).boundingBox();
      expect(frameBox?.width).toBeGreaterThanOrEqual(280);
      expect(frameBox?.width).toBeLessThanOrEqual(320);
      expect(frameBox?.height).toBeGreaterThanOrEqual(100);
      expect(await frame.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await consent.click();
      await frame.getByTestId('widget-chat-input').waitFor();
      expect(await frame.getByTestId('widget-chat-input').isVisible()).toBe(true);
      await frame.getByTestId('widget-stop').click();
    });

    it('saves a 390 px screenshot of the demo page', async () => {
      const page = await (await context({ viewport: { width: 390, height: 844 } })).newPage();
      await page.goto(`${coordinator.url}/widget-demo`);
      await widgetFrame(page, coordinator.url);
      await page.waitForTimeout(500);
      mkdirSync(fileURLToPath(new URL('./screenshots/', import.meta.url)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(await page.locator('tessera-widget').count()).toBe(2);
    });
  });
});
