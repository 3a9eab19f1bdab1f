import { TesseraError, hubFileUrl, hubRevisionSchema, hubRevisionUrl, transformersModelFiles } from '@tessera/shared';
import type { AttestedFile, Backend, ModelCatalogEntry } from '@tessera/shared';
import type { ModelFileStore } from './model-file-store.ts';
import { sha256Hex } from './sha256-hex.ts';

export interface HashHubFilesOptions {
  /** A transformers.js hub model whose catalog entry lists no hashes. */
  entry: ModelCatalogEntry;
  backend: Backend;
  hubUrl: string;
  store: ModelFileStore;
  fetch: (url: string) => Promise<Response>;
  /** Bytes in hand so far; the total is the catalog's estimate until every file is in. */
  onProgress?: (loadedBytes: number, totalBytes: number, detail: string) => void;
}

export interface HashedHubFiles {
  /** The commit the catalog's revision resolved to: every file comes from it. */
  revision: string;
  /** Each file as this tab received and hashed it; what the tab attests (`model:attest`). */
  files: AttestedFile[];
}

/**
 * Fetches the files a tab loads for a hub model the catalog has no hashes for, as transformers.js would
 * (the hub's revision API for the commit and file list, then each file of this backend's weight type at
 * that commit), hashes each one and puts it in the store under its own hash. Nothing vouches for these
 * bytes yet: the tab reports the hashes, and the coordinator compares them with what other tabs got.
 */
export async function hashHubFiles(options: HashHubFilesOptions): Promise<HashedHubFiles> {
  const { entry, backend, hubUrl } = options;
  const source = entry.source;
  const dtype = entry.dtype[backend];
  if (source.kind !== 'hub' || dtype === undefined)
    throw new TesseraError('model_load_failed', `${entry.id} is not a hub model with weights for ${backend}.`);
  const get = async (url: string): Promise<Response> => {
    const response = await options.fetch(url);
    if (!response.ok) throw new TesseraError('model_load_failed', `${url} answered HTTP ${response.status}.`);
    return response;
  };
  const listing = hubRevisionSchema.safeParse(await (await get(hubRevisionUrl(hubUrl, source.repo, source.revision))).json());
  if (!listing.success) throw new TesseraError('model_load_failed', `The hub did not list the files of ${source.repo}@${source.revision}.`);
  const paths = transformersModelFiles(
    listing.data.siblings.map((sibling) => sibling.rfilename),
    [dtype],
  );
  if (paths.length === 0) throw new TesseraError('model_load_failed', `${source.repo} has no ${dtype} weights for transformers.js.`);
  const files: AttestedFile[] = [];
  let loaded = 0;
  for (const path of paths) {
    const bytes = new Uint8Array(await (await get(hubFileUrl(hubUrl, source.repo, listing.data.sha, path))).arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    await options.store.put(sha256, bytes);
    files.push({ path, sha256, bytes: bytes.byteLength });
    loaded += bytes.byteLength;
    options.onProgress?.(loaded, Math.max(loaded, entry.downloadBytes), `${path} from the hub (hashed here)`);
  }
  return { revision: listing.data.sha, files };
}
