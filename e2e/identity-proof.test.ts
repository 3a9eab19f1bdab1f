import { DEFAULT_IDENTITY_PROOF_BITS, TINY_GPT2_ID, identityProofBits } from '@tessera/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NetworkLog, launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { networkSnapshot, waitForServingTabs } from './support/network-state.ts';

const storedProofSchema = z.object({
  publicKey: z.string(),
  nonce: z.number().int(),
  bits: z.number().int(),
  hashes: z.number().int(),
  elapsedMs: z.number(),
});

/** The proof the page keeps beside its key in IndexedDB (client/src/identity/identity-store.browser.ts). */
async function storedProof(page: Page): Promise<z.infer<typeof storedProofSchema>> {
  const stored: unknown = await page.evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('tessera-identity');
        open.onerror = () => reject(new Error('no identity database'));
        open.onsuccess = () => {
          const read = open.result.transaction('keys', 'readonly').objectStore('keys').get('identity-proof');
          read.onsuccess = () => {
            open.result.close();
            resolve(read.result);
          };
        };
      }),
  );
  return storedProofSchema.parse(stored);
}

describe('a volunteer tab proves work for its key, and joins with it', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;

  beforeAll(async () => {
    // The shipped difficulty, not the low one the other scenarios use: this is the figure volunteers meet.
    coordinator = await startCoordinator({ identityProofBits: DEFAULT_IDENTITY_PROOF_BITS, tabsPerAddress: 4, newIdentitiesPerAddress: 4 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('makes the proof once, keeps it with the key, and is admitted and served with it', async () => {
    const context = await browser.newContext();
    const network = new NetworkLog(context);
    const started = Date.now();
    const page = await openVolunteerTab(context, coordinator.url, { models: [TINY_GPT2_ID] });
    const [tab] = await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(page));
    const joinedMs = Date.now() - started;
    const proof = await storedProof(page);
    expect(proof.bits).toBeGreaterThanOrEqual(DEFAULT_IDENTITY_PROOF_BITS);
    expect(await identityProofBits(proof.publicKey, proof.nonce)).toBe(proof.bits);
    expect(tab?.keyFingerprint).toBe(proof.publicKey.slice(0, tab?.keyFingerprint.length));
    const rate = proof.hashes / (proof.elapsedMs / 1000);
    console.log(
      `identity proof in Chromium: ${proof.bits} bits after ${proof.hashes.toLocaleString('en')} hashes in ${(proof.elapsedMs / 1000).toFixed(2)} s ` +
        `(${Math.round(rate).toLocaleString('en')} hashes/s; ${DEFAULT_IDENTITY_PROOF_BITS} bits take ${(2 ** DEFAULT_IDENTITY_PROOF_BITS / rate).toFixed(2)} s on average); ` +
        `page opened to serving: ${(joinedMs / 1000).toFixed(1)} s`,
    );

    const completion = await fetch(`${coordinator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'Tessera' }], temperature: 0, max_tokens: 4 }),
    });
    expect(completion.status).toBe(200);

    // A second visit with the same key reuses the proof: no new search, and the coordinator knows the key.
    await page.reload();
    await expect.poll(async () => (await networkSnapshot(coordinator.url)).nodes.length, { timeout: 60_000 }).toBe(1);
    await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(page));
    expect(await storedProof(page)).toEqual(proof);
    expect(network.offLoopback()).toEqual([]);
    await context.close();
  });
});
