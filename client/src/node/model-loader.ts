import { TesseraError, filesForBackend, findModel } from '@tessera/shared';
import type { Backend, EngineSettings, ModelAttest, ModelCatalogEntry } from '@tessera/shared';
import type { InferenceEngine } from '../engine/inference-engine.ts';
import { modelFileUrl, modelLocation } from '../engine/model-location.ts';
import { toWireError } from '../engine/wire-error.ts';
import { hashHubFiles } from '../model-files/hub-files.ts';
import type { ModelFileStore } from '../model-files/model-file-store.ts';
import { acquireModelFiles } from '../peer/model-acquirer.ts';
import type { TabPeers } from '../peer/tab-peers.ts';
import type { ModelLoadState } from './volunteer-node-events.ts';

/** The engine as the node needs it: the interface plus the one-time configuration of the worker. */
export interface ConfigurableEngine extends InferenceEngine {
  configure(settings: EngineSettings): Promise<void>;
}

/** What loads need of the tab's current link to the network; nothing while it is not joined. */
export interface LoaderNetwork {
  /** The offered models changed: tell the coordinator now rather than at the next heartbeat. */
  offerChanged(): void;
  /** A model is in memory: tell neighbours what this tab now serves. */
  servingChanged(): void;
  /** The peer layer, to find seeders and seed what was stored; null without one. */
  peers(): TabPeers | null;
  /** Resolves true once the coordinator welcomed this connection, false after `timeoutMs`. */
  welcomed(timeoutMs: number): Promise<boolean>;
  /** Reports the hashes of a hub model's files the catalog had none for (`model:attest`); again after every welcome. */
  attest(attest: ModelAttest): void;
}

export interface ModelLoaderOptions {
  catalog: readonly ModelCatalogEntry[];
  coordinatorOrigin: string;
  pageOrigin: string;
  hubUrl: string;
  /** Starts the engine Web Worker; called on the first load, and again after a failed start. */
  startEngine: () => ConfigurableEngine;
  /** Content-addressed model files; null: no peer seeding, the engine fetches itself. */
  store: ModelFileStore | null;
  /** A model file from the coordinator's mirror or the hub, when no peer has it; the hub's file list. */
  fetch: (url: string) => Promise<Response>;
  network: () => LoaderNetwork | null;
  backend: () => Backend;
  onChange: (id: string) => void;
  log: (message: string) => void;
}

function fresh(id: string): ModelLoadState {
  return { id, status: 'waiting', progress: null, error: null, loadMs: null, source: null };
}

/**
 * The models of this tab in its engine: starts and configures the engine worker once, loads a model at
 * most once at a time (its files first into the store, each checked against the catalog's sha256, or
 * hashed here and reported where the catalog has none), unloads, and keeps each model's load state for
 * the page.
 */
export class ModelLoader {
  readonly #options: ModelLoaderOptions;
  #engine: ConfigurableEngine | null = null;
  #engineReady: Promise<ConfigurableEngine> | null = null;
  #states: Readonly<Record<string, ModelLoadState>> = {};
  readonly #loads = new Map<string, Promise<void>>();
  readonly #attestations = new Map<string, ModelAttest>();

  constructor(options: ModelLoaderOptions) {
    this.#options = options;
  }

  /** The engine once it started; null before. */
  get engine(): ConfigurableEngine | null {
    return this.#engine;
  }

  get states(): Readonly<Record<string, ModelLoadState>> {
    return this.#states;
  }

  /** What this tab reported of the files of hub models without catalog hashes; sent after every welcome. */
  get attestations(): ReadonlyMap<string, ModelAttest> {
    return this.#attestations;
  }

  /** Starts the engine worker and configures it, once; a failed start is retried on the next call. */
  ready(): Promise<ConfigurableEngine> {
    if (this.#engineReady !== null) return this.#engineReady;
    const ready = (async () => {
      const engine = this.#options.startEngine();
      await engine.configure({
        coordinatorOrigin: this.#options.coordinatorOrigin,
        hubUrl: this.#options.hubUrl,
        // The ORT runtime ships with the pages (dist/ort/), which may come from another origin than the API.
        ortBaseUrl: new URL('/ort/', this.#options.pageOrigin).href,
        cacheModels: true,
      });
      this.#engine = engine;
      return engine;
    })();
    ready.catch(() => {
      this.#engineReady = null;
    });
    this.#engineReady = ready;
    return ready;
  }

  /** Starts a round of loads: exactly `ids` are listed, those already in memory stay loaded, the rest wait. */
  prepare(ids: readonly string[]): void {
    const before = this.#states;
    this.#states = Object.fromEntries(ids.map((id) => [id, before[id]?.status === 'loaded' ? before[id] : fresh(id)]));
    for (const id of new Set([...Object.keys(before), ...ids])) this.#options.onChange(id);
  }

  load(id: string): Promise<void> {
    const inFlight = this.#loads.get(id);
    if (inFlight !== undefined) return inFlight;
    if (this.#states[id]?.status === 'loaded') return Promise.resolve();
    const entry = findModel(this.#options.catalog, id);
    if (entry === undefined) return Promise.reject(new TesseraError('model_load_failed', `${id} is not in the catalog.`));
    // Forgotten however it ends, also when the engine did not start, so a later call tries again.
    const load = this.#loadNow(id, entry).finally(() => this.#loads.delete(id));
    this.#loads.set(id, load);
    return load;
  }

  async #loadNow(id: string, entry: ModelCatalogEntry): Promise<void> {
    const engine = await this.ready();
    this.#set(id, { status: 'loading', progress: null, error: null, loadMs: null, source: null });
    this.#options.network()?.offerChanged();
    try {
      const model = await this.#acquireFiles(entry);
      const loaded = await engine.load({
        model,
        backend: this.#options.backend(),
        onProgress: (progress) => this.#set(id, { progress }),
      });
      this.#set(id, { status: 'loaded', loadMs: loaded.loadMs });
      this.#options.log(`Loaded ${id} on ${loaded.backend} in ${(loaded.loadMs / 1000).toFixed(1)} s.`);
      this.#options.network()?.servingChanged();
    } catch (error) {
      const wire = toWireError(error, 'model_load_failed');
      this.#set(id, { status: 'failed', error: wire.message });
      this.#options.log(`Could not load ${id}: ${wire.message}`);
      throw error;
    } finally {
      this.#options.network()?.offerChanged();
    }
  }

  /** Stops offering `id` at once and frees its memory; the model stays in the engine when that fails. */
  async unload(id: string): Promise<void> {
    const rest = { ...this.#states };
    delete rest[id];
    this.#states = rest;
    this.#options.onChange(id);
    this.#options.network()?.offerChanged();
    try {
      await this.#engine?.unload(id);
    } catch (error) {
      this.#options.log(`Could not unload ${id}: ${toWireError(error, 'internal_error').message}`);
    }
  }

  /**
   * Puts a model's files in the store before the engine loads it (the engine reads them from there, never
   * from the network), and says which entry to load. Files the catalog lists come from peers the
   * coordinator introduces, else over HTTP from the mirror or the hub, only those of this backend's weight
   * type, each checked against the catalog's sha256 (a mismatch fails the load); then this tab seeds the
   * model. A transformers.js hub model without catalog hashes is fetched from the hub and hashed here, the
   * hashes reported to the coordinator, and loaded as the entry with those files. Other models (web-llm,
   * or no store in this browser) are left to the engine.
   */
  async #acquireFiles(entry: ModelCatalogEntry): Promise<ModelCatalogEntry> {
    const store = this.#options.store;
    if (store === null) return entry;
    if (entry.files.length === 0) {
      return entry.source.kind === 'hub' && entry.engine === 'transformers' ? this.#hashHubFiles(entry, store) : entry;
    }
    const location = modelLocation(entry, { coordinatorOrigin: this.#options.coordinatorOrigin, hubUrl: this.#options.hubUrl });
    const report = await acquireModelFiles({
      entry,
      files: filesForBackend(entry.files, entry, this.#options.backend()),
      store,
      findSeeders: async () => {
        const network = this.#options.network();
        const peers = network?.peers() ?? null;
        if (network === null || peers === null || !(await network.welcomed(3_000))) return [];
        return peers.findSeeders(entry.id);
      },
      httpFetch: async (_modelId, path) => {
        const response = await this.#options.fetch(modelFileUrl(location, path));
        if (!response.ok) throw new TesseraError('model_load_failed', `${path} answered HTTP ${response.status}.`);
        return new Uint8Array(await response.arrayBuffer());
      },
      onBadSeeder: (nodeId, reason) => this.#options.network()?.peers()?.reportBadSeeder(nodeId, entry.id, reason),
      onProgress: (loadedBytes, totalBytes, detail) => {
        const fraction = totalBytes > 0 ? Math.min(0.99, loadedBytes / totalBytes) : 0;
        this.#set(entry.id, { progress: { modelId: entry.id, loadedBytes, totalBytes, fraction, detail } });
      },
    });
    this.#set(entry.id, { source: report });
    this.#options.network()?.peers()?.markSeedable(entry.id);
    const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;
    const fromPeers = `${kib(report.fromPeers)} from ${report.seeders} peer(s)`;
    const sources = `${fromPeers}, ${kib(report.fromHttp)} from the coordinator, ${kib(report.fromStore)} already here`;
    const bad = report.badSeeders.length > 0 ? `; ${report.badSeeders.length} seeder(s) sent bad bytes and were reported.` : '.';
    this.#options.log(`Files of ${entry.id}: ${sources}${bad}`);
    return entry;
  }

  async #hashHubFiles(entry: ModelCatalogEntry, store: ModelFileStore): Promise<ModelCatalogEntry> {
    const source = entry.source;
    if (source.kind !== 'hub') return entry;
    const hashed = await hashHubFiles({
      entry,
      backend: this.#options.backend(),
      hubUrl: this.#options.hubUrl,
      store,
      fetch: this.#options.fetch,
      onProgress: (loadedBytes, totalBytes, detail) => {
        const fraction = totalBytes > 0 ? Math.min(0.99, loadedBytes / totalBytes) : 0;
        this.#set(entry.id, { progress: { modelId: entry.id, loadedBytes, totalBytes, fraction, detail } });
      },
    });
    const attest: ModelAttest = { modelId: entry.id, revision: hashed.revision, files: hashed.files };
    this.#attestations.set(entry.id, attest);
    // Before the engine loads it: a tab whose bytes differ is refused even if they would not load.
    this.#options.network()?.attest(attest);
    const bytes = hashed.files.reduce((sum, file) => sum + file.bytes, 0);
    this.#options.log(
      `Files of ${entry.id}: ${Math.round(bytes / 1024)} KiB from the hub at ${hashed.revision.slice(0, 12)}, hashed and reported (the catalog lists no hashes).`,
    );
    return { ...entry, source: { ...source, revision: hashed.revision }, files: hashed.files };
  }

  #set(id: string, patch: Partial<ModelLoadState>): void {
    this.#states = { ...this.#states, [id]: { ...(this.#states[id] ?? fresh(id)), ...patch } };
    this.#options.onChange(id);
  }
}
