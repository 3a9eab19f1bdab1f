import { ScriptedTab, answerHonestly, loaded } from '@tessera/coordinator/testing';
import { TINY_GPT2_ID } from '@tessera/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';

// Issue 13: the dashboard is pushed its data over /observers (no polling of /api/v1/network) and draws the
// coordinator's sampled history, which a reload gets back whole.

/** The number in an element's data attribute, once it is on the page. */
async function dataNumber(page: Page, testId: string, attribute: string): Promise<number> {
  const value = await page.getByTestId(testId).getAttribute(attribute, { timeout: 30_000 });
  return Number(value);
}

async function waitForNumber(page: Page, testId: string, attribute: string, atLeast: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await dataNumber(page, testId, attribute);
    if (value >= atLeast) return value;
    if (Date.now() > deadline) throw new Error(`${testId} ${attribute} stayed at ${value}, wanted ≥ ${atLeast}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('live dashboard', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let tab: ScriptedTab | undefined;

  beforeAll(async () => {
    coordinator = await startCoordinator({ knownAnswerIntervalMs: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    tab?.close();
    await browser?.close();
    await coordinator?.close();
  });

  it('gets snapshots and samples pushed, never polls the network route, and shows the history after a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    const sockets: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    try {
      await page.goto(`${coordinator.url}/dashboard`);
      await page.getByTestId('dashboard-live').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('nodes-online').textContent()).resolves.toBe('0');
      // The sample the coordinator took at start came with the history on connect, and is drawn with axes.
      await waitForNumber(page, 'dashboard-charts', 'data-samples', 1, 10_000);
      await page.getByTestId('chart-tabs').locator('.u-axis').first().waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('chart-tabs').locator('canvas').count()).toBeGreaterThan(0);

      // A tab joins: the snapshot that says so is pushed, well before any 2 s poll would have come.
      tab = new ScriptedTab({ url: coordinator.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
      await tab.ready();
      await page.getByTestId('nodes-online').filter({ hasText: '1' }).waitFor({ timeout: 5000 });
      await page.getByTestId(`capacity-${TINY_GPT2_ID}`).waitFor({ timeout: 5000 });
      await page.getByTestId('tiers-table').waitFor({ timeout: 5000 });

      // The next 10 s sample is pushed to the open page.
      const before = await dataNumber(page, 'dashboard-charts', 'data-samples');
      const after = await waitForNumber(page, 'dashboard-charts', 'data-samples', before + 1, 20_000);

      // Hovering a chart shows the values at the cursor with their unit (uPlot's live legend).
      const plot = page.getByTestId('chart-tabs').locator('.u-over');
      const box = await plot.boundingBox();
      if (box === null) throw new Error('the tabs chart has no plot area');
      await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
      await expect(page.getByTestId('chart-tabs').locator('.u-legend').textContent()).resolves.toMatch(/\d+ tabs/);

      // A reload gets the history back whole, from the coordinator.
      await page.reload();
      await page.getByTestId('dashboard-live').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
      expect(await waitForNumber(page, 'dashboard-charts', 'data-samples', after, 5000)).toBeGreaterThanOrEqual(after);
      await page.getByTestId('nodes-online').filter({ hasText: '1' }).waitFor({ timeout: 5000 });

      const polls = requests.filter((url) => new URL(url).pathname === '/api/v1/network');
      expect(polls).toEqual([]);
      expect(sockets.filter((url) => new URL(url).pathname === '/socket.io/')).toHaveLength(2);
      expect(problems).toEqual([]);
    } catch (error) {
      const live = await page
        .getByTestId('dashboard-live')
        .textContent()
        .catch(() => 'none');
      throw new Error(`${String(error)}\nlive: ${live}\n${problems.join('\n')}\nsockets: ${sockets.join(' ')}`, { cause: error });
    } finally {
      await page.close();
    }
  });
});
