import { TINY_GPT2_ID } from '@tessera/shared';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gotoVolunteerPage, launchChromium, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { networkSnapshot, waitForGuards, waitForServingTabs } from './support/network-state.ts';

/** The guard page as automation opens it: consent by `autostart=1`, the tiny GPT-2 on WASM, no peers. */
async function openGuardPage(context: BrowserContext, coordinatorUrl: string): Promise<Page> {
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
  Object.assign(page, { tesseraLogs: logs });
  const params = new URLSearchParams({ autostart: '1', backend: 'wasm', models: TINY_GPT2_ID, peers: '0' });
  await page.goto(`${coordinatorUrl}/guard?${params.toString()}`);
  return page;
}

const statusReason = (page: Page): Promise<string | null> => page.getByTestId('guard-status').getAttribute('data-reason');
const count = async (page: Page, testId: string): Promise<number> => Number(await page.getByTestId(testId).textContent());

describe('a worker tab and a guard tab of one browser profile', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let context: BrowserContext;
  let guard: Page;
  let worker: Page;

  beforeAll(async () => {
    // A result is held for its check at most 5 s: one guard cannot make the two votes a newcomer's result wants.
    coordinator = await startCoordinator({ checkTimeoutMs: 5_000 });
    browser = await launchChromium();
    // One context: one IndexedDB, so the tabs differ only by the key their role keeps there.
    context = await browser.newContext();
    guard = await openGuardPage(context, coordinator.url);
    await waitForGuards(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(guard));
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('shows the guard page with its own nav entry, and says why no check comes while no worker serves', async () => {
    await expect.poll(() => guard.getByTestId('nav-guard').getAttribute('aria-current')).toBe('page');
    expect(await guard.getByTestId('nav-volunteer').getAttribute('aria-current')).toBeNull();
    expect(await guard.getByTestId('nav-docs').getAttribute('href')).toBe('/docs');
    expect((await fetch(`${coordinator.url}/docs`)).ok).toBe(true);
    expect(await guard.getByRole('heading', { level: 1 }).textContent()).toContain("Check others' work");
    await expect.poll(() => guard.getByTestId('guard-stop').textContent(), { timeout: 15_000 }).toMatch(/Stop checking/);
    await expect.poll(() => statusReason(guard), { timeout: 15_000 }).toBe('no-workers');
    expect(await guard.getByTestId('guard-status').textContent()).toContain(TINY_GPT2_ID);
    expect(await count(guard, 'guard-checks-done')).toBe(0);
  });

  it("both get work: the worker serves, and the guard checks the worker's result", async () => {
    worker = await context.newPage();
    await gotoVolunteerPage(worker, coordinator.url, { models: [TINY_GPT2_ID] });
    await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(worker));

    const snapshot = await networkSnapshot(coordinator.url);
    const [workerNode] = snapshot.nodes.filter((node) => node.role === 'worker');
    const [guardNode] = snapshot.nodes.filter((node) => node.role === 'guard');
    expect(workerNode?.keyFingerprint).toBeDefined();
    expect(workerNode?.keyFingerprint).not.toBe(guardNode?.keyFingerprint);
    expect(await guard.getByTestId('guard-key').getAttribute('title')).not.toBe('');

    const client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 120_000 });
    const answers = await Promise.all(
      ['Tessera is', 'volunteer'].map(async (prompt) => {
        const completion = await client.chat.completions.create({
          model: TINY_GPT2_ID,
          messages: [{ role: 'user', content: prompt }],
          max_tokens: 8,
          temperature: 0,
        });
        return completion.choices[0]?.message.content ?? '';
      }),
    );
    expect(answers.every((answer) => answer.length > 0)).toBe(true);
    await expect.poll(() => count(worker, 'tasks-served'), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

    await expect.poll(() => count(guard, 'guard-checks-done'), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    expect(await count(guard, 'verdicts-valid')).toBeGreaterThanOrEqual(1);
    expect(await count(guard, 'verdicts-invalid')).toBe(0);
    await expect.poll(() => statusReason(guard), { timeout: 15_000 }).toBe('checked');
    await expect
      .poll(() => guard.getByTestId('guard-agreement').textContent(), { timeout: 15_000 })
      .toMatch(/^never outvoted in \d+ verdicts?$/);
    expect(await guard.getByTestId('guard-earned').textContent()).toMatch(/TSRA|not reported/);

    const after = await networkSnapshot(coordinator.url);
    expect(after.nodes.find((node) => node.role === 'guard')?.verdicts.valid).toBeGreaterThanOrEqual(1);
    expect(after.nodes.find((node) => node.role === 'worker')?.reputation.validChecks).toBeGreaterThanOrEqual(1);
  });

  it('a worker tab that opens the guard page keeps serving and says checking needs a tab of its own', async () => {
    await worker.getByTestId('nav-guard').click();
    await expect.poll(() => statusReason(worker)).toBe('not-a-guard');
    expect(await worker.getByTestId('nav-guard').getAttribute('aria-current')).toBe('page');
    expect(await worker.getByTestId('guard-role-mismatch').locator('a').getAttribute('href')).toMatch(/^\/guard\?/);
    expect(new URL(worker.url()).pathname).toBe('/guard');
    const snapshot = await networkSnapshot(coordinator.url);
    expect(snapshot.nodes.filter((node) => node.role === 'worker')).toHaveLength(1);
  });
});
