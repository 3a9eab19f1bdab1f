import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkLog, openVolunteerTab, pageLogs } from './support/browser.ts';
import { submitCanaryTask, settledTask } from './support/canary-tasks.ts';
import { waitForServingTabs } from './support/network-state.ts';
import { startPeerEnvironment, type PeerEnvironment } from './support/peer-environment.ts';

const MODEL = TINY_GPT2_ID;
const canary = findModel(MODEL_CATALOG, MODEL)?.canary;
if (canary === null || canary === undefined) throw new Error(`${MODEL} has no canary`);

async function nodeIdOf(page: Page): Promise<string> {
  const element = page.getByTestId('node-id');
  await expect.poll(async () => ((await element.textContent()) ?? '').trim(), { timeout: 30_000 }).toMatch(/^[0-9a-f-]{36}$/);
  return ((await element.textContent()) ?? '').trim();
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

// Real tabs linked over WebRTC inside a network namespace the test creates (DESIGN.md section 9); every
// tab has its own browser context, as separate volunteers would.
describe('tasks between peer tabs', () => {
  let peers: PeerEnvironment | undefined;
  const logs: NetworkLog[] = [];

  beforeAll(async () => {
    peers = await startPeerEnvironment();
  });

  afterAll(async () => {
    await peers?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    if (peers === undefined) throw new Error('not started');
    const context = await peers.browser.newContext();
    logs.push(new NetworkLog(context));
    return context;
  }

  it('streams a playground reply straight from the worker, and the coordinator still settles it', async () => {
    if (peers === undefined) throw new Error('not started');
    const url = peers.coordinator.url;
    const worker = await openVolunteerTab(await newContext(), url, { models: [MODEL], peers: true });
    await waitForServingTabs(url, 1, [MODEL], 60_000, () => pageLogs(worker));
    const workerId = await nodeIdOf(worker);

    const playground = await (await newContext()).newPage();
    await playground.goto(`${url}/playground`);
    await playground.getByTestId('playground-model').selectOption(MODEL);
    await playground.getByTestId('playground-direct').check();
    await playground.getByTestId('playground-input').fill(canary.prompt);
    await playground.getByTestId('playground-input').press('Enter');

    const outcome = playground.getByTestId('playground-direct-outcome');
    await outcome.waitFor({ timeout: 60_000 });
    expect(await outcome.getAttribute('data-status'), pageLogs(worker)).toBe('complete');
    expect(await outcome.getAttribute('data-matched')).toBe('true');
    expect(await outcome.getAttribute('data-worker')).toBe(workerId);
    const reply = playground.locator('.message.assistant .content').last();
    expect((await reply.textContent())?.startsWith(canary.expectedCompletion.slice(0, 20))).toBe(true);
    expect(await metric(url, 'tessera_direct_streams_total')).toBe(1);
    // The worker's own page marks the task as sent directly.
    await expect.poll(() => worker.getByText('direct', { exact: true }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await worker.close();
    await playground.close();
  });

  it('a closing tab hands its tasks to a neighbour: each is done once, none is lost', async () => {
    if (peers === undefined) throw new Error('not started');
    const { coordinator, namespace } = peers;
    const url = coordinator.url;
    // A holds many tasks and runs one at a time; B fetched the model from A, so the two are neighbours.
    const leaving = await openVolunteerTab(await newContext(), url, { models: [MODEL], peers: true, maxConcurrent: 16 });
    await waitForServingTabs(url, 1, [MODEL], 60_000, () => pageLogs(leaving));
    const staying = await openVolunteerTab(await newContext(), url, { models: [MODEL], peers: true, maxConcurrent: 16 });
    await waitForServingTabs(url, 2, [MODEL], 60_000, () => pageLogs(staying));
    await expect
      .poll(async () => Number(await staying.getByTestId(`load-source-${MODEL}`).getAttribute('data-from-peers')), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const stayingId = await nodeIdOf(staying);

    const ids = await Promise.all(Array.from({ length: 16 }, () => submitCanaryTask(url)));
    // Its tasks must have reached it (a task still on the wire when it closes is requeued, not handed off).
    await expect.poll(() => leaving.locator('[data-testid^="task-status-"]').count(), { timeout: 10_000 }).toBeGreaterThan(1);
    // Closing runs pagehide, where the tab offers what it holds to its neighbour before the socket goes.
    await leaving.close({ runBeforeUnload: true });

    const views = await Promise.all(ids.map((id) => settledTask(url, id)));
    for (const view of views) {
      expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
      const result = view.result;
      expect(result !== null && 'choices' in result ? result.choices[0]?.message.content : null).toBe(canary.expectedCompletion);
    }
    const handedOff = await metric(url, 'tessera_tasks_handed_off_total');
    console.info(
      `hand-off e2e: ${handedOff} of 16 tasks moved by the closing tab; requeued on disconnect: ${await metric(url, 'tessera_tasks_requeued_total{reason="worker_disconnected"}')}`,
    );
    expect(handedOff, pageLogs(staying)).toBeGreaterThan(0);
    // A hand-off keeps the attempt: those tasks finished on the neighbour on their first attempt.
    expect(views.filter((view) => view.attempts === 1).length).toBeGreaterThanOrEqual(handedOff);
    expect(await staying.getByTestId('tasks-served').textContent()).not.toBe('0');
    expect(stayingId).toMatch(/^[0-9a-f-]{36}$/);
    for (const log of logs) expect(log.outside([namespace.hostAddress])).toEqual([]);
  });
});
