import { FILE_CHUNK_MAX_BYTES, PeerError, findModel } from '@tessera/shared';
import type { FileRequestFrame, ModelCatalogEntry } from '@tessera/shared';
import type { PeerLink } from './peer-link.ts';

/** Reads `length` bytes at `offset` of a model file this tab has (Cache API, OPFS, disk in Node). */
export type ReadModelFile = (modelId: string, path: string, offset: number, length: number) => Promise<Uint8Array>;

export interface ModelSeederOptions {
  catalog: readonly ModelCatalogEntry[];
  /** Whether this tab has every file of the model now (cached or loaded). */
  has: (modelId: string) => boolean;
  readFile: ReadModelFile;
  /** Requests served at once on one link; more are answered `peer_busy`. Default 4. */
  maxConcurrentRequests?: number;
}

export interface ModelSeeder {
  /** Serves `file:request`s arriving on the link until it closes or the returned function is called. */
  attach(link: PeerLink): () => void;
  /** Payload bytes sent so far, all links together. */
  readonly servedBytes: number;
}

/**
 * Serves the files of models this tab has to peers: each `file:request` is checked against the catalog
 * (model mirrored with a file list, file listed, range inside the file) and answered with `file:chunk`s of
 * at most FILE_CHUNK_MAX_BYTES, in order, the last one flagged, each sent with the link's backpressure —
 * or with one `file:error`.
 */
export function createModelSeeder(options: ModelSeederOptions): ModelSeeder {
  const maxConcurrent = options.maxConcurrentRequests ?? 4;
  let servedBytes = 0;

  async function serve(link: PeerLink, request: FileRequestFrame): Promise<void> {
    const refuse = (code: PeerError['code'], message: string) =>
      link.send({ type: 'file:error', requestId: request.requestId, code, message });
    const model = findModel(options.catalog, request.modelId);
    const file = model?.files.find((candidate) => candidate.path === request.path);
    if (model === undefined || file === undefined || !options.has(model.id)) {
      await refuse('peer_file_unavailable', `This tab does not seed ${request.modelId.slice(0, 200)}/${request.path.slice(0, 200)}.`);
      return;
    }
    if (request.offset + request.length > file.bytes) {
      await refuse(
        'peer_file_unavailable',
        `Bytes ${request.offset}+${request.length} are past the end of ${file.path} (${file.bytes} bytes).`,
      );
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await options.readFile(model.id, file.path, request.offset, request.length);
    } catch (error) {
      await refuse(
        'peer_read_failed',
        `Reading ${file.path} failed: ${error instanceof Error ? error.message.slice(0, 300) : 'unknown error'}`,
      );
      return;
    }
    if (bytes.byteLength !== request.length) {
      await refuse('peer_read_failed', `Read ${bytes.byteLength} bytes of ${file.path}; ${request.length} were asked for.`);
      return;
    }
    for (let seq = 0, offset = 0; offset < bytes.byteLength; seq++, offset += FILE_CHUNK_MAX_BYTES) {
      const chunk = bytes.subarray(offset, offset + FILE_CHUNK_MAX_BYTES);
      await link.send({
        type: 'file:chunk',
        requestId: request.requestId,
        seq,
        last: offset + chunk.byteLength === bytes.byteLength,
        bytes: chunk,
      });
      servedBytes += chunk.byteLength;
    }
  }

  return {
    attach(link) {
      let active = 0;
      return link.on('frame', (frame) => {
        if (frame.type !== 'file:request') return;
        if (active >= maxConcurrent) {
          link
            .send({
              type: 'file:error',
              requestId: frame.requestId,
              code: 'peer_busy',
              message: `Serving ${active} requests on this link already.`,
            })
            .catch(() => {});
          return;
        }
        active++;
        serve(link, frame)
          // A send fails only when the link closed: nobody is left to tell.
          .catch(() => {})
          .finally(() => {
            active--;
          });
      });
    },
    get servedBytes() {
      return servedBytes;
    },
  };
}
