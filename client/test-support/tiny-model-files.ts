// Node-only test support: the committed tiny model files, read the way a seeding tab reads its store.
import { open, readFile } from 'node:fs/promises';
import type { ReadModelFile } from '../src/peer/model-seeder.ts';

const MODELS_DIR = new URL('../../coordinator/models/', import.meta.url);

export function modelFileUrl(modelId: string, path: string): URL {
  return new URL(`${modelId}/${path}`, MODELS_DIR);
}

/** What a tab with the model cached reads: the real committed files. */
export const readFromDisk: ReadModelFile = async (modelId, path, offset, length) => {
  const handle = await open(modelFileUrl(modelId, path), 'r');
  try {
    const bytes = new Uint8Array(length);
    const { bytesRead } = await handle.read(bytes, 0, length, offset);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

/** A seeder that flips one byte in the middle of everything it serves. */
export const readAndLie: ReadModelFile = async (...args) => {
  const bytes = Uint8Array.from(await readFromDisk(...args));
  const middle = Math.floor(bytes.byteLength / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  return bytes;
};

/** The coordinator's mirror as the fetcher's HTTP fallback, recording the paths it was asked for. */
export function recordingHttpFetch(): { calls: string[]; fetch: (modelId: string, path: string) => Promise<Uint8Array<ArrayBuffer>> } {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (modelId, path) => {
      calls.push(path);
      return new Uint8Array(await readFile(modelFileUrl(modelId, path)));
    },
  };
}
