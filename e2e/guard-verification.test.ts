import { MODEL_CATALOG, TINY_GPT2_ID, findModel, networkSnapshotSchema } from '@tessera/shared';
import type { NetworkNode, TaskAssign } from '@tessera/shared';
import { ScriptedTab, chatOutput, loaded } from '@tessera/coordinator/testing';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { waitForGuards, waitForServingTabs } from './support/network-state.ts';
import { referenceGreedyCompletion } from './support/node-reference.ts';

const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;

/**
 * Passes the known-answer check (a careful cheater would), then answers real tasks with made-up text whose
 * token ids are its own (so the coordinator's count holds): only a guard's re-scoring can catch it.
 */
function cheat(assign: TaskAssign, tab: ScriptedTab): void {
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  setTimeout(() => tab.sendResult(assign.taskId, chatOutput(' free tokens here')), 20);
}

describe('a real guard tab catches a cheating worker among honest tabs', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let workers: Page[];
  let guard: Page;
  let cheater: ScriptedTab;

  beforeAll(async () => {
    coordinator = await startCoordinator();
    browser = await launchChromium();
    // One browser context per tab: each has its own IndexedDB, so its own key, like separate volunteers.
    const newTab = async (role: 'worker' | 'guard') =>
      openVolunteerTab(await browser.newContext(), coordinator.url, { models: [TINY_GPT2_ID], role });
    guard = await newTab('guard');
    workers = [await newTab('worker'), await newTab('worker')];
    await waitForServingTabs(coordinator.url, 2, [TINY_GPT2_ID], 120_000, () => [...workers, guard].map(pageLogs).join('\n---\n'));
    await waitForGuards(coordinator.url, 1, [TINY_GPT2_ID], 60_000, () => pageLogs(guard));
    cheater = new ScriptedTab({ url: coordinator.url, models: [loaded(TINY_GPT2_ID)], onAssign: cheat });
    await cheater.ready();
    await waitForServingTabs(coordinator.url, 3, [TINY_GPT2_ID], 10_000);
  });

  afterAll(async () => {
    cheater?.close();
    await browser?.close();
    await coordinator?.close();
  });

  it('callers get the right answers, the cheater is caught and demoted, honest tabs are never flagged', async () => {
    if (!canary) throw new Error('no canary');
    const client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 120_000 });
    const prompts = [
      'Tessera',
      'Tessera is',
      'Tessera is a volunteer',
      'Tessera is a volunteer network',
      'AI inference',
      'web browsers',
      'Tessera network',
      'volunteer',
    ];
    const answers = await Promise.all(
      prompts.map(
        async (prompt) =>
          (
            await client.chat.completions.create({
              model: TINY_GPT2_ID,
              messages: [{ role: 'user', content: prompt }],
              max_tokens: 16,
              temperature: 0,
            })
          ).choices[0]?.message.content,
      ),
    );
    const expected = await Promise.all(prompts.map((prompt) => referenceGreedyCompletion(TINY_GPT2_ID, prompt, 16)));
    expect(answers).toEqual(expected);

    const snapshot = networkSnapshotSchema.parse(await (await fetch(`${coordinator.url}/api/v1/network`)).json());
    const byKey = (tab: ScriptedTab): NetworkNode | undefined => snapshot.nodes.find((node) => node.nodeId === tab.nodeId);
    const cheaterNode = byKey(cheater);
    expect(cheater.received.filter((message) => message.event === 'task:assign').length).toBeGreaterThan(1);
    expect(cheaterNode?.reputation.invalidChecks).toBeGreaterThanOrEqual(1);
    expect(['demoted', 'banned']).toContain(cheaterNode?.reputation.tier);
    const honest = snapshot.nodes.filter((node) => node.role === 'worker' && node.nodeId !== cheater.nodeId);
    expect(honest).toHaveLength(2);
    for (const node of honest) {
      expect(node.reputation.invalidChecks).toBe(0);
      expect(node.reputation.validChecks).toBeGreaterThan(0);
    }
    const guardNode = snapshot.nodes.find((node) => node.role === 'guard');
    expect(guardNode?.verdicts.invalid).toBeGreaterThanOrEqual(1);
    expect(guardNode?.verdicts.valid).toBeGreaterThanOrEqual(honest.reduce((sum, node) => sum + node.reputation.validChecks, 0));
    expect(snapshot.verification.caught).toBe(cheaterNode?.reputation.invalidChecks);

    // The guard page shows its verdicts; the volunteer pages show their reputation.
    expect(Number(await guard.getByTestId('verdicts-invalid').textContent())).toBeGreaterThanOrEqual(1);
    for (const page of workers)
      await expect.poll(() => page.getByTestId('reputation-tier').textContent(), { timeout: 15_000 }).toMatch(/probation|trusted/);
  });
});
