import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Where a tab's copy of a model came from, in bytes, as its volunteer page reports it. */
export interface LoadSource {
  fromPeers: number;
  fromHttp: number;
  fromStore: number;
  badSeeders: string[];
}

/** Reads the page's `load-source-<model>` element, once the model's load has ended. */
export async function loadSource(page: Page, model: string, timeoutMs = 60_000): Promise<LoadSource> {
  const element = page.getByTestId(`load-source-${model}`);
  await element.waitFor({ timeout: timeoutMs });
  const read = async (name: string): Promise<string> => (await element.getAttribute(name)) ?? '';
  return {
    fromPeers: Number(await read('data-from-peers')),
    fromHttp: Number(await read('data-from-http')),
    fromStore: Number(await read('data-from-store')),
    badSeeders: (await read('data-bad-seeders')).split(',').filter((id) => id !== ''),
  };
}

/** The tab's node id, once its hello was welcomed. */
export async function nodeIdOf(page: Page): Promise<string> {
  const element = page.getByTestId('node-id');
  await expect.poll(async () => ((await element.textContent()) ?? '').trim(), { timeout: 30_000 }).toMatch(/^[0-9a-f-]{36}$/);
  return ((await element.textContent()) ?? '').trim();
}
