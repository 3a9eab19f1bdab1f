import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkLog, openVolunteerTab, pageLogs } from './support/browser.ts';
import { waitForServingTabs } from './support/network-state.ts';
import { startPeerEnvironment, type PeerEnvironment } from './support/peer-environment.ts';

const MODEL = TINY_GPT2_ID;
const entry = findModel(MODEL_CATALOG, MODEL);
if (entry === undefined) throw new Error(`${MODEL} is not in the catalog`);
const modelFile = entry.files.find((file) => file.path.endsWith('.onnx'));
if (modelFile === undefined) throw new Error(`${MODEL} lists no .onnx file`);
const TOTAL_BYTES = entry.files.reduce((sum, file) => sum + file.bytes, 0);
const canary = entry.canary;
if (canary === null) throw new Error(`${MODEL} has no canary`);

interface LoadSource {
  fromPeers: number;
  fromHttp: number;
  fromStore: number;
  badSeeders: string[];
}

/** What the volunteer page says about where the model's files came from. */
async function loadSource(page: Page): Promise<LoadSource> {
  const element = page.getByTestId(`load-source-${MODEL}`);
  await element.waitFor({ timeout: 60_000 });
  const read = async (name: string): Promise<string> => (await element.getAttribute(name)) ?? '';
  return {
    fromPeers: Number(await read('data-from-peers')),
    fromHttp: Number(await read('data-from-http')),
    fromStore: Number(await read('data-from-store')),
    badSeeders: (await read('data-bad-seeders')).split(',').filter((id) => id !== ''),
  };
}

async function nodeIdOf(page: Page): Promise<string> {
  const element = page.getByTestId('node-id');
  await expect.poll(async () => ((await element.textContent()) ?? '').trim(), { timeout: 30_000 }).toMatch(/^[0-9a-f-]{36}$/);
  return ((await element.textContent()) ?? '').trim();
}

/** Model file requests a context made to the coordinator's mirror. */
function modelFileRequests(log: NetworkLog): string[] {
  return log.urls.filter((url) => url.includes(`/models/${MODEL}/`));
}

// Chromium gathers no loopback candidates: these tabs run inside a network namespace the test creates
// (DESIGN.md section 9), each in its own browser context so each has its own Cache Storage.
describe('model seeding between real tabs', () => {
  let peers: PeerEnvironment | undefined;

  beforeAll(async () => {
    peers = await startPeerEnvironment();
  });

  afterAll(async () => {
    await peers?.close();
  });

  async function openTab(): Promise<{ page: Page; log: NetworkLog }> {
    if (peers === undefined) throw new Error('not started');
    const context = await peers.browser.newContext();
    const log = new NetworkLog(context);
    const page = await openVolunteerTab(context, peers.coordinator.url, { models: [MODEL], peers: true });
    return { page, log };
  }

  it('a tab loads from a peer, a corrupt seeder is caught and reported, and the fetcher falls back to HTTP', async () => {
    if (peers === undefined) throw new Error('not started');
    const { coordinator, namespace } = peers;
    const url = coordinator.url;

    // A: nobody has the model yet, so it comes from the coordinator.
    const first = await openTab();
    const firstSource = await loadSource(first.page);
    expect(firstSource).toMatchObject({ fromPeers: 0, fromHttp: TOTAL_BYTES, badSeeders: [] });
    await waitForServingTabs(url, 1, [MODEL], 60_000, () => pageLogs(first.page));

    // B: every byte from A over the data channel; B never asks the mirror for a model file.
    const second = await openTab();
    const secondSource = await loadSource(second.page);
    expect(secondSource, pageLogs(second.page)).toMatchObject({ fromPeers: TOTAL_BYTES, fromHttp: 0, badSeeders: [] });
    expect(modelFileRequests(second.log)).toEqual([]);
    // A's page counts the link and what it seeded.
    await expect
      .poll(async () => Number(await first.page.getByTestId('peer-count').textContent()), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    await expect.poll(() => first.page.getByTestId('peer-served-bytes').textContent(), { timeout: 10_000 }).toMatch(/\d.*(KB|MB)/);
    await waitForServingTabs(url, 2, [MODEL], 60_000, () => pageLogs(second.page));
    const corruptId = await nodeIdOf(second.page);

    // B's copy of the weights goes bad (every byte flipped), as a broken disk or a liar would serve it.
    await second.page.evaluate(
      async ({ sha256 }) => {
        const cache = await caches.open('tessera-model-files-v1');
        const key = new URL(`/.tessera/model-files/${sha256}`, location.origin).href;
        const response = await cache.match(key);
        if (response === undefined) throw new Error('the model file is not in the store');
        const bytes = new Uint8Array(await response.arrayBuffer());
        for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
        await cache.put(key, new Response(bytes));
      },
      { sha256: modelFile.sha256 },
    );

    // C: A and B are its seeders; B's pieces fail the hash, C takes the file over HTTP and reports B.
    const third = await openTab();
    const thirdSource = await loadSource(third.page);
    expect(thirdSource.badSeeders, pageLogs(third.page)).toEqual([corruptId]);
    expect(thirdSource.fromHttp).toBeGreaterThanOrEqual(modelFile.bytes);
    expect(modelFileRequests(third.log).some((request) => request.endsWith(modelFile.path))).toBe(true);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_peer_reports_total\{excluded="false"\} 1/);

    // C's model is the real one: with A and B gone, C alone answers the canary with the known sentence.
    await waitForServingTabs(url, 3, [MODEL], 60_000, () => pageLogs(third.page));
    await first.page.close();
    await second.page.close();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: canary.prompt }],
      max_tokens: canary.maxTokens,
      temperature: 0,
    });
    expect(completion.choices[0]?.message.content).toBe(canary.expectedCompletion);

    // Nothing left the network the test made.
    for (const tab of [first, second, third]) expect(tab.log.outside([namespace.hostAddress])).toEqual([]);
  });
});
