import type { ModelFileStore } from './model-file-store.ts';

/** Cache Storage bucket of the content-addressed model files; pages and the engine worker share it. */
export const MODEL_FILE_CACHE = 'tessera-model-files-v1';

/**
 * Cache Storage keys must be http(s) URLs; this one is never fetched. Same-origin, so the page and its
 * engine worker see the same entries.
 */
function keyOf(sha256: string): string {
  return new URL(`/.tessera/model-files/${sha256}`, self.location.origin).href;
}

/**
 * `ModelFileStore` over Cache Storage: survives reloads, shared by every tab of the origin, evictable by
 * the browser under storage pressure (then the tab fetches again). Blobs are kept for the files read
 * recently, so serving a peer many small ranges does not re-open the cache entry each time.
 */
export class CacheModelFileStore implements ModelFileStore {
  readonly #cache: Promise<Cache>;
  readonly #blobs = new Map<string, Blob>();

  constructor() {
    this.#cache = caches.open(MODEL_FILE_CACHE);
  }

  /** Whether this browser context offers Cache Storage (not in some private modes or insecure origins). */
  static available(): boolean {
    return typeof caches !== 'undefined';
  }

  async has(sha256: string): Promise<boolean> {
    if (this.#blobs.has(sha256)) return true;
    return (await (await this.#cache).match(keyOf(sha256))) !== undefined;
  }

  async put(sha256: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const response = new Response(bytes, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    });
    await (await this.#cache).put(keyOf(sha256), response);
    this.#blobs.delete(sha256);
  }

  async get(sha256: string): Promise<Blob | undefined> {
    const cached = this.#blobs.get(sha256);
    if (cached !== undefined) return cached;
    const response = await (await this.#cache).match(keyOf(sha256));
    if (response === undefined) return undefined;
    const blob = await response.blob();
    this.#blobs.set(sha256, blob);
    // A few files per model; keep the last handful.
    while (this.#blobs.size > 8) {
      const oldest = this.#blobs.keys().next().value;
      if (oldest === undefined) break;
      this.#blobs.delete(oldest);
    }
    return blob;
  }

  async read(sha256: string, offset: number, length: number): Promise<Uint8Array> {
    const blob = await this.get(sha256);
    if (blob === undefined) throw new Error(`No file ${sha256.slice(0, 12)} in this tab.`);
    if (offset + length > blob.size) throw new Error(`The file has ${blob.size} bytes; ${offset}+${length} asked for.`);
    return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
  }

  async delete(sha256: string): Promise<void> {
    this.#blobs.delete(sha256);
    await (await this.#cache).delete(keyOf(sha256));
  }
}
