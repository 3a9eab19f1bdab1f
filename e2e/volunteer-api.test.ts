import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, cosineSimilarity, findModel } from '@tessera/shared';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkLog, launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { networkSnapshot, waitForServingTabs } from './support/network-state.ts';
import { referenceEmbeddings, referenceGreedyCompletion } from './support/node-reference.ts';
import { judgeInNode } from './support/node-guard.ts';

const MODELS = [TINY_GPT2_ID, TINY_BERT_ID];
const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;

describe('two volunteer tabs serve the OpenAI API (WASM backend)', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let context: BrowserContext;
  let network: NetworkLog;
  let tabs: Page[];
  let client: OpenAI;

  beforeAll(async () => {
    coordinator = await startCoordinator();
    browser = await launchChromium();
    context = await browser.newContext();
    network = new NetworkLog(context);
    tabs = [
      await openVolunteerTab(context, coordinator.url, { models: MODELS }),
      await openVolunteerTab(context, coordinator.url, { models: MODELS }),
    ];
    await waitForServingTabs(coordinator.url, 2, MODELS, 120_000, () => tabs.map(pageLogs).join('\n---\n'));
    // The official client, unmodified: only its base URL points at the coordinator.
    client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('the tiny model is known and the pages show the tabs serving', async () => {
    expect(canary).toBeTruthy();
    for (const tab of tabs) {
      await expect.poll(() => tab.getByTestId('runtime-state').textContent(), { timeout: 10_000 }).toBe('serving');
      expect(await tab.getByTestId('backend').textContent()).toBe('wasm');
      expect(await tab.getByTestId('connection-state').textContent()).toBe('connected');
    }
  });

  it('answers a chat completion with the greedy sentence Node gets from the same model', async () => {
    if (!canary) throw new Error('tiny-gpt2 has no canary');
    const completion = await client.chat.completions.create({
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: canary.prompt }],
      max_tokens: canary.maxTokens,
      temperature: 0,
    });
    const text = completion.choices[0]?.message.content;
    expect(text).toBe(canary.expectedCompletion);
    expect(text).toBe(await referenceGreedyCompletion(TINY_GPT2_ID, canary.prompt, canary.maxTokens));
    expect(completion.usage?.completion_tokens).toBeGreaterThan(5);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // The browser (WASM) tab's tokens pass a guard running in Node (onnxruntime-node).
    expect(await judgeInNode(coordinator, completion.id)).toMatchObject({ verdict: 'valid' });
  });

  it('streams the same completion token by token', async () => {
    if (!canary) throw new Error('tiny-gpt2 has no canary');
    const stream = await client.chat.completions.create({
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: canary.prompt }],
      max_tokens: canary.maxTokens,
      temperature: 0,
      stream: true,
    });
    const deltas: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(deltas.join('')).toBe(canary.expectedCompletion);
    expect(deltas.length).toBeGreaterThan(3);
    expect(finish).toBe('stop');
  });

  it('embeds a batch like transformers.js in Node does', async () => {
    const texts = ['volunteer compute in the browser', 'the quick brown fox', 'tessera'];
    const response = await client.embeddings.create({ model: TINY_BERT_ID, input: texts });
    const reference = await referenceEmbeddings(TINY_BERT_ID, texts);
    expect(response.data).toHaveLength(texts.length);
    response.data.forEach((item, index) => {
      expect(item.index).toBe(index);
      expect(cosineSimilarity(item.embedding, reference[index] ?? [])).toBeGreaterThanOrEqual(0.9999);
    });
    expect(cosineSimilarity(response.data[0]?.embedding ?? [], response.data[1]?.embedding ?? [])).toBeLessThan(0.99);
  });

  it('spreads work over both tabs and counts it on the pages', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.chat.completions.create({
          model: TINY_GPT2_ID,
          messages: [{ role: 'user', content: `Tessera ${i}` }],
          max_tokens: 8,
          temperature: 0,
        }),
      ),
    );
    const snapshot = await networkSnapshot(coordinator.url);
    const workers = snapshot.nodes.filter((node) => node.role === 'worker');
    expect(workers.every((node) => node.completedTasks > 0)).toBe(true);
    const served = await Promise.all(tabs.map(async (tab) => Number(await tab.getByTestId('tasks-served').textContent())));
    expect(served.reduce((a, b) => a + b, 0)).toBe(workers.reduce((sum, node) => sum + node.completedTasks, 0));
  });

  it('no request from any tab left loopback', () => {
    // The model files are fetched inside the engine's Web Worker: seeing them proves workers are logged too.
    expect(network.urls.some((url) => url.endsWith('/models/tessera/tiny-gpt2/onnx/model.onnx'))).toBe(true);
    expect(network.offLoopback()).toEqual([]);
  });
});
