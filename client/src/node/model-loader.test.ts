import { readFile } from 'node:fs/promises';
import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, TINY_MODEL_FILES, findModel } from '@tessera/shared';
import type { ModelAttest, ModelCatalogEntry } from '@tessera/shared';
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
  readonly attested: ModelAttest[] = [];
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
  attest(attest: ModelAttest): void {
    this.attested.push(attest);
  }
}

function loader(
  setup: {
    engine?: FakeEngine;
    store?: MemoryModelFileStore | null;
    network?: LoaderNetwork | null;
    startEngine?: () => FakeEngine;
    catalog?: readonly ModelCatalogEntry[];
    fetch?: (url: string) => Promise<Response>;
  } = {},
) {
  const engine = setup.engine ?? new FakeEngine();
  const changes: string[] = [];
  const log: string[] = [];
  const files = setup.fetch === undefined ? mirror() : { paths: [], fetch: setup.fetch };
  const models = new ModelLoader({
    catalog: setup.catalog ?? MODEL_CATALOG,
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

  describe('hub models', () => {
    const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
    if (tiny === undefined) throw new Error('no tiny-gpt2');
    const REPO = 'org/tiny';
    const COMMIT = 'c0ffee1234';
    /** The tiny GPT-2 as a hub model, with an fp16 file for WebGPU that a WASM tab must not fetch. */
    const hashed: ModelCatalogEntry = {
      ...tiny,
      id: REPO,
      source: { kind: 'hub', repo: REPO, revision: COMMIT },
      dtype: { wasm: 'fp32', webgpu: 'fp16' },
      files: [...TINY_MODEL_FILES[TINY_GPT2_ID].files, { path: 'onnx/model_fp16.onnx', sha256: 'a'.repeat(64), bytes: 10 }],
    };
    const unhashed: ModelCatalogEntry = { ...tiny, id: REPO, source: { kind: 'hub', repo: REPO, revision: 'main' }, files: [] };

    /** A hub in Hugging Face's URL shape over the committed files; `corrupt` paths get a byte appended. */
    function hub(corrupt: readonly string[] = []): { paths: string[]; fetch: (url: string) => Promise<Response> } {
      const paths: string[] = [];
      return {
        paths,
        fetch: async (url) => {
          const path = new URL(url).pathname;
          if (path === `/api/models/${REPO}/revision/main`) {
            const siblings = ['manifest.json', ...TINY_MODEL_FILES[TINY_GPT2_ID].files.map((file) => file.path)];
            return Response.json({ sha: COMMIT, siblings: siblings.map((rfilename) => ({ rfilename })) });
          }
          const prefix = `/${REPO}/resolve/${COMMIT}/`;
          if (!path.startsWith(prefix)) return new Response('no such file', { status: 404 });
          const file = path.slice(prefix.length);
          paths.push(file);
          const bytes = await readFile(modelFileUrl(TINY_GPT2_ID, file)).catch(() => null);
          if (bytes === null) return new Response('no such file', { status: 404 });
          return new Response(corrupt.includes(file) ? Buffer.concat([bytes, Buffer.from('\n')]) : bytes);
        },
      };
    }

    it("takes a hashed hub model's files of its backend from the hub, each checked, and loads the catalog entry", async () => {
      const store = new MemoryModelFileStore();
      const files = hub();
      const { models, engine } = loader({ store, catalog: [hashed], fetch: files.fetch, network: new RecordingNetwork(null) });
      await models.load(REPO);
      expect(files.paths.sort()).toEqual(TINY_MODEL_FILES[TINY_GPT2_ID].files.map((file) => file.path).sort());
      for (const file of TINY_MODEL_FILES[TINY_GPT2_ID].files) expect(await store.has(file.sha256)).toBe(true);
      expect(engine.loaded.has(REPO)).toBe(true);
      expect(models.attestations.size).toBe(0);
    });

    it('refuses a hashed hub model whose bytes differ from the catalog, and never loads it', async () => {
      const store = new MemoryModelFileStore();
      const { models, engine } = loader({ store, catalog: [hashed], fetch: hub(['config.json']).fetch });
      await expect(models.load(REPO)).rejects.toThrow(/sha256/);
      expect(models.states[REPO]).toMatchObject({ status: 'failed' });
      expect(engine.loaded.has(REPO)).toBe(false);
    });

    it('hashes the files of a hub model the catalog has no hashes for, reports them, and loads them at the commit', async () => {
      const store = new MemoryModelFileStore();
      const network = new RecordingNetwork(null);
      const files = hub();
      const engine = new FakeEngine();
      const requested: ModelCatalogEntry[] = [];
      const load = engine.load.bind(engine);
      engine.load = (request) => {
        requested.push(request.model);
        return load(request);
      };
      const { models } = loader({ store, engine, catalog: [unhashed], fetch: files.fetch, network });
      await models.load(REPO);
      const expected = TINY_MODEL_FILES[TINY_GPT2_ID].files;
      // manifest.json is in the repository but no model file.
      expect(files.paths.sort()).toEqual(expected.map((file) => file.path).sort());
      expect(network.attested).toEqual([{ modelId: REPO, revision: COMMIT, files: expected }]);
      expect(models.attestations.get(REPO)).toEqual(network.attested[0]);
      // The engine reads exactly these bytes from the store, at the commit they came from.
      expect(requested[0]?.files).toEqual(expected);
      expect(requested[0]?.source).toEqual({ kind: 'hub', repo: REPO, revision: COMMIT });
      for (const file of expected) expect(await store.has(file.sha256)).toBe(true);
    });
  });
});
