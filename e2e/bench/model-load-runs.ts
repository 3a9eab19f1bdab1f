import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NetworkLog, openVolunteerTab, pageLogs } from '../support/browser.ts';
import { networkSnapshot } from '../support/network-state.ts';
import { NAME_SHIM } from './data-channel-pair.ts';

declare global {
  interface Window {
    /** `performance.now()` (ms since navigation) when the volunteer page first said `serving`. */
    tesseraServingAtMs?: number;
  }
}

export interface ModelLoadRun {
  /** How the tab was opened: with peer links (it asks the network for seeders first) or without. */
  peers: boolean;
  fromPeers: number;
  fromHttp: number;
  fromStore: number;
  /** The files into the tab's store, from peers or HTTP (the page's data-acquire-ms). */
  acquireMs: number;
  /** The engine's load from the store, as the page's 'loaded in …' badge rounds it; null if unreadable. */
  engineLoadMs: number | null;
  /** Navigation start to the page's runtime state saying `serving`. */
  servingMs: number;
}

/**
 * An init script: notes when `data-testid="runtime-state"` first reads `serving`, so the time is taken
 * in the page as it happens rather than when a poll from here notices.
 */
function recordServing(): void {
  const observer = new MutationObserver(() => {
    const state = document.querySelector('[data-testid="runtime-state"]');
    if (window.tesseraServingAtMs === undefined && state?.textContent?.trim() === 'serving') {
      window.tesseraServingAtMs = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true });
}

/** The page's rounding of a duration ('812 ms', '1.2 s', '1 min 3 s') back to ms. */
export function parseShownMs(text: string): number | null {
  const match = /loaded in (?:(\d+) min )?([\d.]+) (ms|s)\b/.exec(text);
  if (match === null) return null;
  const minutes = Number(match[1] ?? 0);
  const value = Number(match[2]);
  return minutes * 60_000 + (match[3] === 'ms' ? value : value * 1000);
}

/** Opens a volunteer tab in a fresh context and waits until it serves `modelId`; the figures of its load. */
export async function loadInFreshTab(
  browser: Browser,
  coordinatorUrl: string,
  modelId: string,
  options: { peers: boolean; contexts: BrowserContext[]; logs: NetworkLog[] },
): Promise<{ run: ModelLoadRun; context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  options.contexts.push(context);
  options.logs.push(new NetworkLog(context));
  await context.addInitScript({ content: NAME_SHIM });
  await context.addInitScript(recordServing);
  const page = await openVolunteerTab(context, coordinatorUrl, { models: [modelId], peers: options.peers });
  const state = page.getByTestId('runtime-state');
  const loadTimeoutMs = 120_000;
  await page
    .waitForFunction(
      () =>
        window.tesseraServingAtMs !== undefined || document.querySelector('[data-testid="runtime-state"]')?.textContent?.trim() === 'error',
      undefined,
      { timeout: loadTimeoutMs },
    )
    .catch(() => {
      throw new Error(`The volunteer tab did not serve ${modelId} within ${loadTimeoutMs / 1000} s. Its console:\n${pageLogs(page)}`);
    });
  if ((await state.textContent())?.trim() === 'error') throw new Error(`The volunteer tab failed to load ${modelId}:\n${pageLogs(page)}`);
  const servingMs = await page.evaluate(() => window.tesseraServingAtMs ?? Number.NaN);

  const source = page.getByTestId(`load-source-${modelId}`);
  const attribute = async (name: string): Promise<number> => Number((await source.getAttribute(name)) ?? Number.NaN);
  const badge = page.getByTestId(`model-${modelId}`).locator('.badge.ok');
  const run: ModelLoadRun = {
    peers: options.peers,
    fromPeers: await attribute('data-from-peers'),
    fromHttp: await attribute('data-from-http'),
    fromStore: await attribute('data-from-store'),
    acquireMs: await attribute('data-acquire-ms'),
    engineLoadMs: parseShownMs((await badge.textContent()) ?? ''),
    servingMs,
  };
  return { run, context, page };
}

/** Waits until the coordinator lists exactly `count` worker tabs (after one was closed). */
export async function waitForWorkerCount(coordinatorUrl: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const workers = (await networkSnapshot(coordinatorUrl)).nodes.filter((node) => node.role === 'worker').length;
    if (workers === count) return;
    if (Date.now() > deadline)
      throw new Error(`The coordinator still lists ${workers} worker tabs, not ${count}, after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
