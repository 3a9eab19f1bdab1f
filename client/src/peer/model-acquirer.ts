import type { ModelCatalogEntry, ModelFile, NodeId } from '@tessera/shared';
import { fetchModelFile, type Seeder } from './model-fetcher.ts';
import type { ModelFileStore } from '../model-files/model-file-store.ts';

export interface ModelAcquireOptions {
  entry: ModelCatalogEntry;
  /** The catalog files to fetch: by default all of them; a tab takes only its backend's weights (`filesForBackend`). */
  files?: readonly ModelFile[];
  store: ModelFileStore;
  /** Links to tabs that have the model; asked only when a file is missing. Empty: straight to HTTP. */
  findSeeders: () => Promise<readonly Seeder[]>;
  /** The whole file over HTTP (the coordinator's mirror or the hub), the fallback for any file peers could not give. */
  httpFetch: (modelId: string, path: string) => Promise<Uint8Array<ArrayBuffer>>;
  onBadSeeder?: (nodeId: NodeId, reason: string) => void;
  /** Bytes in hand so far (store, peers and HTTP) out of the model's total. */
  onProgress?: (loadedBytes: number, totalBytes: number, detail: string) => void;
}

/** Where a model's bytes came from; the volunteer page shows it beside the model. */
export interface ModelAcquireReport {
  modelId: string;
  fromStore: number;
  fromPeers: number;
  fromHttp: number;
  /** Seeders whose links opened. */
  seeders: number;
  badSeeders: NodeId[];
  /** Why a file came over HTTP although seeders were there; empty when peers served everything asked. */
  fallbacks: string[];
  ms: number;
}

/**
 * Puts the catalog files of a model (mirrored, or a hub model the catalog lists with hashes) into the
 * store: files already there are kept, the rest come from peers with HTTP as the fallback, every one
 * checked against the catalog's sha256 whoever served it, one file at a time so memory holds one file.
 * Seeders are looked for once, on the first missing file.
 */
export async function acquireModelFiles(options: ModelAcquireOptions): Promise<ModelAcquireReport> {
  const { entry, store } = options;
  const wanted = options.files ?? entry.files;
  const started = performance.now();
  const total = wanted.reduce((sum, file) => sum + file.bytes, 0);
  const report: ModelAcquireReport = {
    modelId: entry.id,
    fromStore: 0,
    fromPeers: 0,
    fromHttp: 0,
    seeders: 0,
    badSeeders: [],
    fallbacks: [],
    ms: 0,
  };
  let loaded = 0;
  let seeders: readonly Seeder[] | null = null;
  const bad = new Set<NodeId>();
  for (const file of wanted) {
    if (await store.has(file.sha256)) {
      report.fromStore += file.bytes;
      loaded += file.bytes;
      options.onProgress?.(loaded, total, `${file.path} (already here)`);
      continue;
    }
    seeders ??= await options.findSeeders();
    report.seeders = Math.max(report.seeders, seeders.length);
    const usable = seeders.filter((seeder) => !bad.has(seeder.nodeId));
    let fileLoaded = 0;
    const result = await fetchModelFile({
      modelId: entry.id,
      file,
      seeders: usable,
      httpFetch: options.httpFetch,
      onBadSeeder: (nodeId, reason) => {
        bad.add(nodeId);
        options.onBadSeeder?.(nodeId, reason);
      },
      onBytes: (bytes) => {
        // Peer bytes then an HTTP copy of the same file would count twice; cap at the file's size.
        const counted = Math.min(bytes, file.bytes - fileLoaded);
        fileLoaded += counted;
        loaded += counted;
        options.onProgress?.(loaded, total, `${file.path} from ${usable.length > 0 ? 'peers' : 'the coordinator'}`);
      },
    });
    await store.put(file.sha256, result.bytes);
    if (result.source === 'peers') report.fromPeers += file.bytes;
    else report.fromHttp += file.bytes;
    if (result.fallbackReason !== null && usable.length > 0) report.fallbacks.push(`${file.path}: ${result.fallbackReason}`);
    loaded += file.bytes - fileLoaded;
    options.onProgress?.(loaded, total, file.path);
  }
  // The links stay open (neighbours); only this fetch's listeners go.
  for (const seeder of seeders ?? []) seeder.files.close();
  report.badSeeders = [...bad];
  report.ms = performance.now() - started;
  return report;
}
