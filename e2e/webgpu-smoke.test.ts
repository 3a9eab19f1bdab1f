import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { waitForServingTabs } from './support/network-state.ts';
import { judgeInNode } from './support/node-guard.ts';

/**
 * The WebGPU path on SwiftShader, Chromium's software adapter: slow but correct (DESIGN.md section 9).
 * One smoke test; the main scenarios run on WASM.
 */
describe('WebGPU backend (SwiftShader)', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;

  beforeAll(async () => {
    coordinator = await startCoordinator();
    browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('reports the software adapter honestly and still answers correctly', async () => {
    const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;
    if (!canary) throw new Error('tiny-gpt2 has no canary');
    const context = await browser.newContext();
    const tab = await openVolunteerTab(context, coordinator.url, { models: [TINY_GPT2_ID], backend: 'webgpu' });
    const [node] = await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 150_000, () => pageLogs(tab));
    expect(node?.gpu?.isFallbackAdapter).toBe(true);
    expect(node?.models.find((model) => model.id === TINY_GPT2_ID)?.backend).toBe('webgpu');
    expect(await tab.getByTestId('backend').textContent()).toBe('webgpu');
    expect((await tab.getByTestId('gpu-adapter').textContent())?.toLowerCase()).toMatch(/software|swiftshader|fallback/);

    const client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 150_000 });
    const completion = await client.chat.completions.create({
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: canary.prompt }],
      max_tokens: canary.maxTokens,
      temperature: 0,
    });
    expect(completion.choices[0]?.message.content).toBe(canary.expectedCompletion);
    // The WebGPU tab's tokens pass a guard running in Node; one swapped token does not.
    expect(await judgeInNode(coordinator, completion.id)).toMatchObject({ verdict: 'valid' });
    expect(
      (
        await judgeInNode(coordinator, completion.id, (claim) => ({
          ...claim,
          tokenIds: [...claim.tokenIds.slice(0, -1), 65],
          text: claim.text.slice(0, -1) + 'A',
        }))
      ).verdict,
    ).toBe('invalid');
    await context.close();
  });
});
