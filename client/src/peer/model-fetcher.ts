import { FILE_REQUEST_MAX_BYTES, PeerError } from '@tessera/shared';
import type { ModelFile, NodeId } from '@tessera/shared';
import { sha256Hex } from '../model-files/sha256-hex.ts';
import type { FileClient } from './file-client.ts';

/** One seeder to fetch from: its node id (for reports) and a `FileClient` on an open link to it. */
export interface Seeder {
  readonly nodeId: NodeId;
  readonly files: FileClient;
}

export interface ModelFetchOptions {
  modelId: string;
  /** The catalog's entry for the file: path, sha256, size. */
  file: ModelFile;
  seeders: readonly Seeder[];
  /** The fallback: fetches the whole file over HTTP (the coordinator's mirror). */
  httpFetch: (modelId: string, path: string) => Promise<Uint8Array<ArrayBuffer>>;
  /** A seeder served bytes that differ from the verified file. Called once per seeder and fetch. */
  onBadSeeder?: (nodeId: NodeId, reason: string) => void;
  /** Bytes asked of a seeder at once; ≤ FILE_REQUEST_MAX_BYTES. Default 256 KiB. */
  pieceBytes?: number;
  /** A piece not complete by then drops its seeder for this file. Default 10 s. */
  pieceTimeoutMs?: number;
  /** Bytes that arrived (a piece from a seeder, or the HTTP copy), for progress bars. */
  onBytes?: (bytes: number) => void;
}

export interface ModelFetchResult {
  /** The file, sha256-verified against the catalog. */
  bytes: Uint8Array<ArrayBuffer>;
  source: 'peers' | 'http';
  /** Bytes each seeder served (all of them, before any fallback). */
  servedBy: Map<NodeId, number>;
  /** Why the peers' bytes were not used; null when they were. */
  fallbackReason: string | null;
  badSeeders: NodeId[];
}

export { sha256Hex };

interface Piece {
  readonly index: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * Fetches one model file from seeders in parallel and verifies it against the catalog's sha256. Pieces
 * of `pieceBytes` go to whichever seeder is free; a seeder that errs or times out is dropped for this file
 * and its piece goes to another. When no seeder is left, or the assembled file fails the hash, the file
 * comes from `httpFetch` instead (and must pass the hash). After a hash failure the HTTP bytes show which
 * pieces were wrong: their seeders are reported with `onBadSeeder`. Throws `peer_hash_mismatch` when even
 * the HTTP bytes fail the hash.
 */
export async function fetchModelFile(options: ModelFetchOptions): Promise<ModelFetchResult> {
  const { file } = options;
  const pieceBytes = Math.max(1, Math.min(options.pieceBytes ?? 256 * 1024, FILE_REQUEST_MAX_BYTES));
  const timeoutMs = options.pieceTimeoutMs ?? 10_000;
  const pieces: Piece[] = [];
  for (let offset = 0, index = 0; offset < file.bytes; offset += pieceBytes, index++)
    pieces.push({ index, offset, length: Math.min(pieceBytes, file.bytes - offset) });

  const bytes = new Uint8Array(file.bytes);
  const servedBy = new Map<NodeId, number>();
  const owner: (NodeId | undefined)[] = new Array(pieces.length);
  const queue = [...pieces];
  const healthy = new Set(options.seeders);
  const failures: string[] = [];

  const work = async (seeder: Seeder): Promise<void> => {
    for (let piece = queue.shift(); piece !== undefined; piece = queue.shift()) {
      try {
        const got = await seeder.files.request(
          { modelId: options.modelId, path: file.path, offset: piece.offset, length: piece.length },
          timeoutMs,
        );
        bytes.set(got, piece.offset);
        owner[piece.index] = seeder.nodeId;
        servedBy.set(seeder.nodeId, (servedBy.get(seeder.nodeId) ?? 0) + got.byteLength);
        options.onBytes?.(got.byteLength);
      } catch (error) {
        queue.unshift(piece);
        healthy.delete(seeder);
        failures.push(`${seeder.nodeId}: ${error instanceof PeerError ? error.code : 'error'}`);
        return;
      }
    }
  };
  // A dropped seeder puts its piece back after the others may have finished: go round until done.
  while (queue.length > 0 && healthy.size > 0) await Promise.all([...healthy].map(work));

  let fallbackReason: string | null;
  if (queue.length > 0) {
    fallbackReason = options.seeders.length === 0 ? 'no seeders' : `every seeder failed (${failures.slice(0, 4).join('; ')})`;
  } else if ((await sha256Hex(bytes)) === file.sha256) {
    return { bytes, source: 'peers', servedBy, fallbackReason: null, badSeeders: [] };
  } else {
    fallbackReason = 'the bytes from peers failed the sha256 check';
  }

  const fromHttp = await options.httpFetch(options.modelId, file.path);
  options.onBytes?.(fromHttp.byteLength);
  if (fromHttp.byteLength !== file.bytes || (await sha256Hex(fromHttp)) !== file.sha256) {
    throw new PeerError('peer_hash_mismatch', `${options.modelId}/${file.path} from HTTP does not match the catalog's sha256 either.`);
  }
  const badSeeders: NodeId[] = [];
  if (queue.length === 0) {
    for (const piece of pieces) {
      const nodeId = owner[piece.index];
      if (nodeId === undefined || badSeeders.includes(nodeId)) continue;
      if (
        !equalBytes(bytes.subarray(piece.offset, piece.offset + piece.length), fromHttp.subarray(piece.offset, piece.offset + piece.length))
      ) {
        badSeeders.push(nodeId);
        options.onBadSeeder?.(nodeId, `served wrong bytes for ${options.modelId}/${file.path} at ${piece.offset}+${piece.length}`);
      }
    }
  }
  return { bytes: fromHttp, source: 'http', servedBy, fallbackReason, badSeeders };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
