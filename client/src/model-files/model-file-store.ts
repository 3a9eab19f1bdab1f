import type { ModelCatalogEntry, ModelFile } from '@tessera/shared';

/**
 * Model files this tab holds, addressed by the catalog's sha256: a file is the same file whoever served
 * it, and a regenerated model (new hash) can never be served stale. The engine reads from it before the
 * network, the seeder serves peers from it, and the acquirer fills it.
 */
export interface ModelFileStore {
  has(sha256: string): Promise<boolean>;
  /** Stores bytes that the caller already checked against `sha256`. */
  put(sha256: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /** The whole file, or undefined when it is not here. */
  get(sha256: string): Promise<Blob | undefined>;
  /** `length` bytes from `offset`; rejects when the file is not here or too short. */
  read(sha256: string, offset: number, length: number): Promise<Uint8Array>;
  /** Drops a file (a corrupt copy found on load). */
  delete(sha256: string): Promise<void>;
}

/** Whether every file of a mirrored model is in the store. Models without a file list are never complete. */
export async function hasAllFiles(store: ModelFileStore, entry: ModelCatalogEntry): Promise<boolean> {
  if (entry.files.length === 0) return false;
  for (const file of entry.files) if (!(await store.has(file.sha256))) return false;
  return true;
}

/** The catalog file behind a path of a model, if the catalog lists it. */
export function catalogFile(entry: ModelCatalogEntry, path: string): ModelFile | undefined {
  return entry.files.find((file) => file.path === path);
}

/** A store in memory: Node tests, and pages where Cache Storage is unavailable (private windows). */
export class MemoryModelFileStore implements ModelFileStore {
  readonly #files = new Map<string, Uint8Array<ArrayBuffer>>();

  has(sha256: string): Promise<boolean> {
    return Promise.resolve(this.#files.has(sha256));
  }

  put(sha256: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    this.#files.set(sha256, bytes);
    return Promise.resolve();
  }

  get(sha256: string): Promise<Blob | undefined> {
    const bytes = this.#files.get(sha256);
    return Promise.resolve(bytes === undefined ? undefined : new Blob([bytes]));
  }

  read(sha256: string, offset: number, length: number): Promise<Uint8Array> {
    const bytes = this.#files.get(sha256);
    if (bytes === undefined) return Promise.reject(new Error(`No file ${sha256.slice(0, 12)} in this tab.`));
    if (offset + length > bytes.byteLength)
      return Promise.reject(new Error(`The file has ${bytes.byteLength} bytes; ${offset}+${length} asked for.`));
    return Promise.resolve(bytes.subarray(offset, offset + length));
  }

  delete(sha256: string): Promise<void> {
    this.#files.delete(sha256);
    return Promise.resolve();
  }
}
