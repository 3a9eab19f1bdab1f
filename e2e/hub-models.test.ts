import { MODEL_CATALOG, TINY_GPT2_ID, TINY_MODEL_FILES, findModel, modelCatalogFileSchema } from '@tessera/shared';
import type { ChatKnownAnswer, ModelCatalogEntry } from '@tessera/shared';
import { HubStandIn } from '@tessera/coordinator/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkLog, launchChromium, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { networkSnapshot, waitForServingTabs } from './support/network-state.ts';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const REPO = 'tessera-test/tiny-gpt2';
/** A hub model the script hashed: files with sha256, revision pinned to the commit, known answers from the reference run. */
const HASHED = REPO;
/** The same repository listed with no hashes at all: tabs attest, the coordinator pins by agreement. */
const UNPINNED = 'tessera-test/tiny-gpt2-unpinned';

/** The tiny GPT-2 as a catalog lists a hub model before anyone hashed it. */
function hubEntry(id: string): ModelCatalogEntry {
  const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
  if (tiny === undefined) throw new Error('no tiny-gpt2');
  return { ...tiny, id, label: `${id} (hub stand-in)`, source: { kind: 'hub', repo: REPO, revision: 'main' }, files: [], knownAnswers: [] };
}

/** The volunteer page with consent given by the URL; `hub` points this tab at another hub (a bad mirror). */
async function openTab(context: BrowserContext, coordinatorUrl: string, models: readonly string[], hub?: string): Promise<Page> {
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  Object.assign(page, { tesseraLogs: logs });
  const params = new URLSearchParams({ autostart: '1', backend: 'wasm', peers: '0', models: models.join(',') });
  if (hub !== undefined) params.set('hub', hub);
  await page.goto(`${coordinatorUrl}/?${params.toString()}`);
  return page;
}

async function metric(coordinator: RunningCoordinator, pattern: RegExp): Promise<string[]> {
  const text = await (await fetch(`${coordinator.url}/metrics`)).text();
  return text.split('\n').filter((line) => pattern.test(line));
}

describe('a hub-shaped model end to end: hashed files, pinned revision, known answers from the reference run', () => {
  let hub: HubStandIn;
  let dir: string;
  let catalog: ModelCatalogEntry[];
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let context: BrowserContext;
  let network: NetworkLog;
  let tab: Page;

  beforeAll(async () => {
    // The tiny GPT-2's committed files, served as a hub repository; under /bad/ its config.json has a byte more.
    hub = await HubStandIn.start({
      repos: { [REPO]: { folder: join(repoRoot, 'coordinator/models', TINY_GPT2_ID) } },
      corrupt: ['config.json'],
    });
    dir = mkdtempSync(join(tmpdir(), 'tessera-hub-e2e-'));
    // `npm run models:hash` against the stand-in, as an operator would run it against the hub.
    writeFileSync(join(dir, 'in.json'), JSON.stringify({ models: [hubEntry(HASHED)] }));
    await promisify(execFile)(
      join(repoRoot, 'node_modules/.bin/tsx'),
      [
        'coordinator/src/models/hash-models-cli.ts',
        '--hub-url',
        hub.url,
        '--catalog',
        join(dir, 'in.json'),
        '--out',
        join(dir, 'out.json'),
      ],
      { cwd: repoRoot },
    );
    const [hashed] = modelCatalogFileSchema.parse(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).models;
    if (hashed === undefined) throw new Error('the script wrote no model');
    catalog = [hashed, { ...hubEntry(UNPINNED), knownAnswers: hashed.knownAnswers }];
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ models: catalog }));

    coordinator = await startCoordinator({
      catalog: join(dir, 'catalog.json'),
      hubUrl: hub.url,
      // One honest tab is enough to pin here; the default asks for three distinct keys.
      hashPinAgreement: 1,
      knownAnswerIntervalMs: 1500,
    });
    browser = await launchChromium();
    context = await browser.newContext();
    network = new NetworkLog(context);
    tab = await openTab(context, coordinator.url, [HASHED, UNPINNED]);
    await waitForServingTabs(coordinator.url, 1, [HASHED, UNPINNED], 120_000, () => pageLogs(tab));
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
    await hub?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('the script pinned the commit and hashed exactly the files the mirror ships, with several known answers', () => {
    const hashed = catalog[0];
    expect(hashed?.source).toEqual({ kind: 'hub', repo: REPO, revision: hub.commit(REPO) });
    expect(hashed?.files).toEqual(TINY_MODEL_FILES[TINY_GPT2_ID].files);
    expect(hashed?.knownAnswers.length).toBeGreaterThanOrEqual(3);
  });

  it('the tab fetched every file from the hub stand-in, at the commit, and nothing left loopback', () => {
    const files = TINY_MODEL_FILES[TINY_GPT2_ID].files.map((file) => file.path).sort();
    // Once for the hashed entry (checked against the catalog) and once for the unpinned one (hashed and attested).
    const fetched = hub.fileRequests(REPO);
    expect([...new Set(fetched)].sort()).toEqual(files);
    // The weights and config only tabs load (the coordinator reads the tokenizer, at the unpinned entry's branch).
    // transformers.js's pipeline() also looks at the repository without the revision (so at `main`): it reads
    // config.json to list the files it expects and probes each file's size for its progress bar with a
    // one-byte range request. Neither is loaded into the model, which reads the checked files from the store.
    const commit = `/resolve/${hub.commit(REPO)}/`;
    const tabOnly = hub.requests.filter((url) => /\/resolve\/[^/]+\/(onnx\/model\.onnx|config\.json|generation_config\.json)$/.test(url));
    expect(tabOnly.filter((url) => url.includes(commit)).length).toBeGreaterThanOrEqual(6);
    const elsewhere = tabOnly.filter((url) => !url.includes(commit) && !hub.rangeRequests.includes(url));
    expect(elsewhere.filter((url) => url !== `/${REPO}/resolve/main/config.json`)).toEqual([]);
    expect(network.offLoopback()).toEqual([]);
  });

  it('pinned the unhashed model by the tab’s attestation', () => {
    expect(coordinator.app.tessera.hashPins.pins(UNPINNED)).toEqual(TINY_MODEL_FILES[TINY_GPT2_ID].files);
  });

  it('passes rotated known answers on join and again at random times while it serves', async () => {
    const passed = (): Promise<string[]> =>
      metric(coordinator, /^tessera_known_answer_checks_total\{model="tessera-test\/tiny-gpt2",.*result="passed"/);
    await expect
      .poll(async () => (await passed()).some((line) => line.includes('trigger="repeat"')), { timeout: 30_000, interval: 500 })
      .toBe(true);
    // A different known answer each time: the join check and the first repeat asked two of them.
    await expect
      .poll(async () => new Set((await passed()).map((line) => /answer="(\d+)"/.exec(line)?.[1])).size, { timeout: 30_000, interval: 500 })
      .toBeGreaterThanOrEqual(2);
    expect(await metric(coordinator, /^tessera_known_answer_checks_total\{.*result="(failed|inconclusive)"/)).toEqual([]);
  });

  it('serves a chat completion through the official client with the reference run’s answer', async () => {
    const answer = catalog[0]?.knownAnswers.find((known): known is ChatKnownAnswer => known.kind === 'chat' && known.prompt !== 'Tessera');
    if (answer === undefined) throw new Error('no second chat answer');
    const client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: HASHED,
      messages: [{ role: 'user', content: answer.prompt }],
      max_tokens: answer.maxTokens,
      temperature: 0,
    });
    expect(completion.choices[0]?.message.content).toBe(answer.expectedCompletion);
    expect(completion.choices[0]?.finish_reason).toBe(answer.finishReason);
  });

  it('a tab given a corrupted file refuses the hashed model itself, and the coordinator refuses it the unpinned one', async () => {
    // Its own browser context: a fresh store, so every byte comes from the bad mirror.
    const bad = await openTab(await browser.newContext(), coordinator.url, [HASHED, UNPINNED], `${hub.url}/bad`);
    // The hashed model: the bytes fail the catalog's sha256, so the tab never loads or offers it.
    await expect
      .poll(() => bad.getByTestId('event-log').textContent(), { timeout: 60_000 })
      .toMatch(/Could not load tessera-test\/tiny-gpt2: .*sha256/);
    // The unpinned model: the tab reports what it got, which differs from the pin: refused and counted.
    await expect
      .poll(
        async () => (await metric(coordinator, /^tessera_model_file_refusals_total\{model="tessera-test\/tiny-gpt2-unpinned"\} 1/)).length,
        {
          timeout: 60_000,
        },
      )
      .toBe(1);
    const nodes = (await networkSnapshot(coordinator.url)).nodes;
    const refused = nodes.filter((node) => node.refusedModels.includes(UNPINNED));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.models.map((model) => model.id)).toEqual([]);
    // The honest tab still serves both.
    expect(nodes.filter((node) => node.models.some((model) => model.id === HASHED))).toHaveLength(1);
    expect(hub.requests.some((url) => url.startsWith(`/bad/${REPO}/resolve/`))).toBe(true);
    expect(pageLogs(bad)).not.toContain('[pageerror]');
  });
});
