import { readFile } from 'node:fs/promises';
import { MODEL_CATALOG, TINY_GPT2_ID, findModel, newNodeId } from '@tessera/shared';
import type { ModelCatalogEntry, NodeId } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileClient } from './file-client.ts';
import { acquireModelFiles, type ModelAcquireOptions } from './model-acquirer.ts';
import { sha256Hex, type Seeder } from './model-fetcher.ts';
import { MemoryModelFileStore } from '../model-files/model-file-store.ts';
import { createModelSeeder, type ReadModelFile } from './model-seeder.ts';
import type { PeerLink } from './peer-link.ts';
import { closeAll, connectPair, nodeWebRtc } from '../../test-support/peer-testing.ts';
import { modelFileUrl, readAndLie, readFromDisk, recordingHttpFetch } from '../../test-support/tiny-model-files.ts';

const wrtc = nodeWebRtc();
const found = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (found === undefined) throw new Error('tiny-gpt2 is not in the catalog');
const model: ModelCatalogEntry = found;
const totalBytes = model.files.reduce((sum, file) => sum + file.bytes, 0);

let http = recordingHttpFetch();
let httpCalls = http.calls;
const httpFetch = (modelId: string, path: string): Promise<Uint8Array<ArrayBuffer>> => http.fetch(modelId, path);

let links: PeerLink[] = [];
afterEach(async () => {
  await closeAll(links);
  links = [];
  http = recordingHttpFetch();
  httpCalls = http.calls;
});

/** One seeding tab per `readFile`, each linked to the acquiring tab over real WebRTC. */
async function seeders(...reads: ReadModelFile[]): Promise<Seeder[]> {
  const result: Seeder[] = [];
  for (const read of reads) {
    const [fetcherSide, seederSide] = await connectPair({ wrtc });
    links.push(fetcherSide, seederSide);
    createModelSeeder({ catalog: MODEL_CATALOG, has: () => true, readFile: read }).attach(seederSide);
    result.push({ nodeId: newNodeId(), files: createFileClient(fetcherSide) });
  }
  return result;
}

/** Options around a store, counting `findSeeders` calls and recording progress. */
function acquiring(
  store: MemoryModelFileStore,
  offered: readonly Seeder[],
): { options: ModelAcquireOptions; seeks: () => number; progress: [number, number][] } {
  let seeks = 0;
  const progress: [number, number][] = [];
  const options: ModelAcquireOptions = {
    entry: model,
    store,
    findSeeders: () => {
      seeks++;
      return Promise.resolve(offered);
    },
    httpFetch,
    onProgress: (loaded, total) => progress.push([loaded, total]),
  };
  return { options, seeks: () => seeks, progress };
}

/** Every catalog file is in the store with the catalog's sha256 (hashing what the store really holds). */
async function expectStoreHoldsModel(store: MemoryModelFileStore): Promise<void> {
  for (const file of model.files) {
    const blob = await store.get(file.sha256);
    if (blob === undefined) throw new Error(`${file.path} is not in the store`);
    expect(await sha256Hex(new Uint8Array(await blob.arrayBuffer()))).toBe(file.sha256);
  }
}

describe('acquireModelFiles', () => {
  it('takes every file over HTTP when no seeder is found', async () => {
    const store = new MemoryModelFileStore();
    const { options, seeks } = acquiring(store, []);
    const report = await acquireModelFiles(options);
    expect(report).toMatchObject({
      modelId: TINY_GPT2_ID,
      fromStore: 0,
      fromPeers: 0,
      fromHttp: totalBytes,
      seeders: 0,
      badSeeders: [],
      fallbacks: [],
    });
    expect(httpCalls).toEqual(model.files.map((file) => file.path));
    expect(seeks()).toBe(1);
    await expectStoreHoldsModel(store);
  });

  it('takes every file from an honest seeder without touching HTTP', { timeout: 20_000 }, async () => {
    const store = new MemoryModelFileStore();
    const { options, seeks } = acquiring(store, await seeders(readFromDisk));
    const report = await acquireModelFiles(options);
    expect(report).toMatchObject({ fromStore: 0, fromPeers: totalBytes, fromHttp: 0, seeders: 1, badSeeders: [], fallbacks: [] });
    expect(httpCalls).toEqual([]);
    expect(seeks()).toBe(1);
    await expectStoreHoldsModel(store);
  });

  it(
    'keeps files already in the store, counts them as fromStore, and looks for seeders once for the rest',
    { timeout: 20_000 },
    async () => {
      const store = new MemoryModelFileStore();
      const kept = model.files.filter((file) => file.path === 'config.json' || file.path === 'tokenizer.json');
      for (const file of kept) await store.put(file.sha256, new Uint8Array(await readFile(modelFileUrl(model.id, file.path))));
      const keptBytes = kept.reduce((sum, file) => sum + file.bytes, 0);
      const { options, seeks } = acquiring(store, []);
      const report = await acquireModelFiles(options);
      expect(report).toMatchObject({ fromStore: keptBytes, fromPeers: 0, fromHttp: totalBytes - keptBytes });
      expect(httpCalls).toEqual(model.files.filter((file) => !kept.includes(file)).map((file) => file.path));
      expect(seeks()).toBe(1);
      await expectStoreHoldsModel(store);
    },
  );

  it('asks for no seeders and fetches nothing when every file is already in the store', async () => {
    const store = new MemoryModelFileStore();
    for (const file of model.files) await store.put(file.sha256, new Uint8Array(await readFile(modelFileUrl(model.id, file.path))));
    const { options, seeks, progress } = acquiring(store, []);
    const report = await acquireModelFiles(options);
    expect(report).toMatchObject({ fromStore: totalBytes, fromPeers: 0, fromHttp: 0, seeders: 0 });
    expect(seeks()).toBe(0);
    expect(httpCalls).toEqual([]);
    expect(progress.at(-1)).toEqual([totalBytes, totalBytes]);
  });

  it('reports a lying seeder, stops asking it, and stores the right bytes', { timeout: 20_000 }, async () => {
    const store = new MemoryModelFileStore();
    // The liar comes first, so it takes the first piece of the first file and is caught there.
    const [liar, honest] = await seeders(readAndLie, readFromDisk);
    if (liar === undefined || honest === undefined) throw new Error('two seeders expected');
    const { options, seeks } = acquiring(store, [liar, honest]);
    const reported: [NodeId, string][] = [];
    const report = await acquireModelFiles({ ...options, onBadSeeder: (nodeId, reason) => reported.push([nodeId, reason]) });
    const first = model.files[0];
    if (first === undefined) throw new Error('tiny-gpt2 has no files');
    expect(report.badSeeders).toEqual([liar.nodeId]);
    expect(reported.map(([nodeId]) => nodeId)).toEqual([liar.nodeId]);
    expect(reported[0]?.[1]).toContain(first.path);
    expect(report).toMatchObject({ seeders: 2, fromHttp: first.bytes, fromPeers: totalBytes - first.bytes, fromStore: 0 });
    expect(report.fallbacks).toHaveLength(1);
    expect(report.fallbacks[0]).toMatch(new RegExp(`^${first.path}: .*sha256`));
    expect(httpCalls).toEqual([first.path]);
    expect(seeks()).toBe(1);
    await expectStoreHoldsModel(store);
  });

  it("reports progress that never goes back and ends at the model's total", { timeout: 20_000 }, async () => {
    const store = new MemoryModelFileStore();
    const kept = model.files.find((file) => file.path === 'tokenizer.json');
    if (kept === undefined) throw new Error('tiny-gpt2 has no tokenizer.json');
    await store.put(kept.sha256, new Uint8Array(await readFile(modelFileUrl(model.id, kept.path))));
    // A liar among the seeders: peer bytes then the HTTP copy of the same file must not count twice.
    const { options, progress } = acquiring(store, await seeders(readAndLie, readFromDisk));
    await acquireModelFiles(options);
    expect(progress.length).toBeGreaterThan(model.files.length);
    expect(progress.every(([, total]) => total === totalBytes)).toBe(true);
    const loaded = progress.map(([bytes]) => bytes);
    expect(loaded.every((bytes, index) => index === 0 || bytes >= (loaded[index - 1] ?? 0))).toBe(true);
    expect(Math.max(...loaded)).toBe(totalBytes);
    expect(loaded.at(-1)).toBe(totalBytes);
  });
});
