import { readFile } from 'node:fs/promises';
import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, findModel } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../../test-support/fake-engine.ts';
import { FakeTabPeers } from '../../test-support/fake-tab-peers.ts';
import { modelFileUrl } from '../../test-support/tiny-model-files.ts';
import { MemoryModelFileStore, hasAllFiles } from '../model-files/model-file-store.ts';
import { ModelLoader } from './model-loader.ts';
import type { LoaderNetwork } from './model-loader.ts';

const COORDINATOR = 'http://coordinator.test';

/** The coordinator's mirror, from the committed files; records the paths asked for. */
function mirror(): { paths: string[]; fetch: (url: string) => Promise<Response> } {
  const paths: string[] = [];
  return {
    paths,
    fetch: async (url) => {
      const path = new URL(url).pathname;
      const prefix = `/models/${TINY_GPT2_ID}/`;
      if (!path.startsWith(prefix)) return new Response('not mirrored', { status: 404 });
      paths.push(path.slice(prefix.length));
      return new Response(await readFile(modelFileUrl(TINY_GPT2_ID, path.slice(prefix.length))));
    },
  };
}

class RecordingNetwork implements LoaderNetwork {
  offers = 0;
  servings = 0;
  constructor(readonly tabPeers: FakeTabPeers | null) {}
  offerChanged(): void {
    this.offers++;
  }
  servingChanged(): void {
    this.servings++;
  }
  peers(): FakeTabPeers | null {
    return this.tabPeers;
  }
  async welcomed(): Promise<boolean> {
    return true;
  }
}

function loader(
  setup: { engine?: FakeEngine; store?: MemoryModelFileStore | null; network?: LoaderNetwork | null; startEngine?: () => FakeEngine } = {},
) {
  const engine = setup.engine ?? new FakeEngine();
  const changes: string[] = [];
  const log: string[] = [];
  const files = mirror();
  const models = new ModelLoader({
    catalog: MODEL_CATALOG,
    coordinatorOrigin: COORDINATOR,
    pageOrigin: 'http://pages.test',
    hubUrl: 'https://hub.test',
    startEngine: setup.startEngine ?? (() => engine),
    store: setup.store === undefined ? null : setup.store,
    fetch: files.fetch,
    network: () => setup.network ?? null,
    backend: () => 'wasm',
    onChange: (id) => changes.push(`${id}:${models.states[id]?.status ?? 'gone'}`),
    log: (message) => log.push(message),
  });
  return { models, engine, changes, log, files };
}

describe('ModelLoader', () => {
  it("puts a mirrored model's files in the store first, then loads it, seeds it and says so", async () => {
    const store = new MemoryModelFileStore();
    const network = new RecordingNetwork(new FakeTabPeers());
    const { models, engine, changes, log, files } = loader({ store, network });
    const entry = findModel(MODEL_CATALOG, TINY_GPT2_ID);
    if (entry === undefined) throw new Error('no tiny-gpt2');

    await models.load(TINY_GPT2_ID);

    expect(await hasAllFiles(store, entry)).toBe(true);
    expect(files.paths.sort()).toEqual(entry.files.map((file) => file.path).sort());
    expect(engine.loaded.has(TINY_GPT2_ID)).toBe(true);
    expect(network.tabPeers?.isSeedable(TINY_GPT2_ID)).toBe(true);
    const total = entry.files.reduce((sum, file) => sum + file.bytes, 0);
    expect(models.states[TINY_GPT2_ID]).toMatchObject({
      status: 'loaded',
      error: null,
      source: { fromHttp: total, fromPeers: 0, fromStore: 0 },
    });
    expect(log.some((line) => line.startsWith(`Files of ${TINY_GPT2_ID}: 0 KiB from 0 peer(s)`))).toBe(true);
    expect(changes[0]).toBe(`${TINY_GPT2_ID}:loading`);
    expect(changes.at(-1)).toBe(`${TINY_GPT2_ID}:loaded`);
    // The coordinator hears when the load starts and when it ends; neighbours once it serves.
    expect(network.offers).toBe(2);
    expect(network.servings).toBe(1);
  });

  it('loads a model once however many ask, and unloads it at once when asked', async () => {
    const { models, engine, changes } = loader();
    let loads = 0;
    const load = engine.load.bind(engine);
    engine.load = (request) => {
      loads++;
      return load(request);
    };
    await Promise.all([models.load(TINY_BERT_ID), models.load(TINY_BERT_ID)]);
    await models.load(TINY_BERT_ID);
    expect(loads).toBe(1);

    await models.unload(TINY_BERT_ID);
    expect(models.states[TINY_BERT_ID]).toBeUndefined();
    expect(engine.unloaded).toEqual([TINY_BERT_ID]);
    expect(changes.at(-1)).toBe(`${TINY_BERT_ID}:gone`);
  });

  it('records a failed load with its reason, and starts the engine again after a failed start', async () => {
    let starts = 0;
    const engine = new FakeEngine();
    const { models, log } = loader({
      startEngine: () => {
        starts++;
        if (starts === 1) throw new Error('no Worker');
        return engine;
      },
    });
    await expect(models.load(TINY_GPT2_ID)).rejects.toThrow('no Worker');
    expect(models.engine).toBeNull();

    engine.load = () => Promise.reject(new Error('out of memory'));
    await expect(models.load(TINY_GPT2_ID)).rejects.toThrow('out of memory');
    expect(starts).toBe(2);
    expect(models.states[TINY_GPT2_ID]).toMatchObject({ status: 'failed', error: 'out of memory' });
    expect(log).toContain(`Could not load ${TINY_GPT2_ID}: out of memory`);
  });

  it('starts a round: keeps models already in memory, lists the others as waiting, drops the rest', async () => {
    const { models, changes } = loader();
    await models.load(TINY_GPT2_ID);
    await models.load(TINY_BERT_ID);
    changes.length = 0;
    models.prepare([TINY_GPT2_ID, 'tessera/other']);
    expect(Object.fromEntries(Object.entries(models.states).map(([id, state]) => [id, state.status]))).toEqual({
      [TINY_GPT2_ID]: 'loaded',
      'tessera/other': 'waiting',
    });
    expect(changes.sort()).toEqual([`${TINY_BERT_ID}:gone`, `${TINY_GPT2_ID}:loaded`, 'tessera/other:waiting'].sort());
  });
});
