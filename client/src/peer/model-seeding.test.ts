import { readFile } from 'node:fs/promises';
import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import type { ModelFile, NodeId } from '@tessera/shared';
import { newNodeId } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileClient } from './file-client.ts';
import { fetchModelFile, type Seeder } from './model-fetcher.ts';
import { createModelSeeder, type ReadModelFile } from './model-seeder.ts';
import type { PeerLink } from './peer-link.ts';
import { closeAll, connectPair, nodeWebRtc } from '../../test-support/peer-testing.ts';
import { modelFileUrl, readAndLie, readFromDisk, recordingHttpFetch } from '../../test-support/tiny-model-files.ts';

const wrtc = nodeWebRtc();
const model = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (model === undefined) throw new Error('tiny-gpt2 is not in the catalog');
const onnx = model.files.find((file) => file.path === 'onnx/model.onnx');
if (onnx === undefined) throw new Error('tiny-gpt2 has no onnx/model.onnx');
const onnxFile: ModelFile = onnx;

let http = recordingHttpFetch();
let httpCalls = http.calls;
const httpFetch = (modelId: string, path: string): Promise<Uint8Array<ArrayBuffer>> => http.fetch(modelId, path);

let links: PeerLink[] = [];
afterEach(async () => {
  await closeAll(links);
  links = [];
  http = recordingHttpFetch();
  httpCalls = http.calls;
});

/** A fetching tab linked to one seeding tab per `readFile`; returns the fetcher's view of its seeders. */
async function seeders(...reads: { readFile: ReadModelFile; has?: boolean }[]): Promise<Seeder[]> {
  const result: Seeder[] = [];
  for (const read of reads) {
    const [fetcherSide, seederSide] = await connectPair({ wrtc });
    links.push(fetcherSide, seederSide);
    createModelSeeder({ catalog: MODEL_CATALOG, has: () => read.has ?? true, readFile: read.readFile }).attach(seederSide);
    result.push({ nodeId: newNodeId(), files: createFileClient(fetcherSide) });
  }
  return result;
}

describe('model seeding between two Node tabs over WebRTC', () => {
  it('fetches every tiny-gpt2 file from two seeders in parallel, sha256-verified', { timeout: 20_000 }, async () => {
    const both = await seeders({ readFile: readFromDisk }, { readFile: readFromDisk });
    for (const file of model.files) {
      const result = await fetchModelFile({ modelId: model.id, file, seeders: both, httpFetch, pieceBytes: 64 * 1024 });
      expect(result.source).toBe('peers');
      expect(Buffer.from(result.bytes).equals(await readFile(modelFileUrl(model.id, file.path)))).toBe(true);
      if (file === onnxFile) {
        // Ten 64 KiB pieces: both seeders served some.
        expect([...result.servedBy.values()].every((served) => served > 0)).toBe(true);
        expect([...result.servedBy.values()].reduce((a, b) => a + b, 0)).toBe(file.bytes);
      }
    }
    expect(httpCalls).toEqual([]);
  });

  it('detects a lying seeder, reports only it, and falls back to HTTP for the right bytes', { timeout: 20_000 }, async () => {
    const [honest, liar] = await seeders({ readFile: readFromDisk }, { readFile: readAndLie });
    if (honest === undefined || liar === undefined) throw new Error('two seeders expected');
    const reported: NodeId[] = [];
    const result = await fetchModelFile({
      modelId: model.id,
      file: onnxFile,
      seeders: [honest, liar],
      httpFetch,
      pieceBytes: 64 * 1024,
      onBadSeeder: (nodeId) => reported.push(nodeId),
    });
    expect(result.source).toBe('http');
    expect(result.fallbackReason).toMatch(/sha256/);
    expect(Buffer.from(result.bytes).equals(await readFile(modelFileUrl(model.id, onnxFile.path)))).toBe(true);
    expect(result.servedBy.get(liar.nodeId)).toBeGreaterThan(0);
    expect(reported).toEqual([liar.nodeId]);
    expect(result.badSeeders).toEqual([liar.nodeId]);
    expect(httpCalls).toEqual([onnxFile.path]);
  });

  it('drops seeders that refuse or stall and falls back to HTTP once none is left', { timeout: 20_000 }, async () => {
    const stalled: ReadModelFile = () => new Promise(() => {});
    const [without, stalling] = await seeders({ readFile: readFromDisk, has: false }, { readFile: stalled });
    if (without === undefined || stalling === undefined) throw new Error('two seeders expected');
    const started = performance.now();
    const result = await fetchModelFile({
      modelId: model.id,
      file: onnxFile,
      seeders: [without, stalling],
      httpFetch,
      pieceTimeoutMs: 300,
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.source).toBe('http');
    expect(result.fallbackReason).toMatch(/peer_file_unavailable/);
    expect(result.fallbackReason).toMatch(/peer_timeout/);
    expect(result.badSeeders).toEqual([]);
    expect(Buffer.from(result.bytes).equals(await readFile(modelFileUrl(model.id, onnxFile.path)))).toBe(true);
  });

  it('refuses files outside the catalog and ranges past the end of a file', { timeout: 20_000 }, async () => {
    const [seeder] = await seeders({ readFile: readFromDisk });
    if (seeder === undefined) throw new Error('a seeder expected');
    await expect(
      seeder.files.request({ modelId: model.id, path: '../../secrets.txt', offset: 0, length: 10 }, 2_000),
    ).rejects.toMatchObject({ code: 'peer_file_unavailable' });
    await expect(seeder.files.request({ modelId: model.id, path: 'config.json', offset: 500, length: 100 }, 2_000)).rejects.toMatchObject({
      code: 'peer_file_unavailable',
    });
    const config = await seeder.files.request({ modelId: model.id, path: 'config.json', offset: 0, length: 572 }, 2_000);
    expect(Buffer.from(config).equals(await readFile(modelFileUrl(model.id, 'config.json')))).toBe(true);
  });

  it('fails over to HTTP with no seeders at all', async () => {
    const result = await fetchModelFile({ modelId: model.id, file: onnxFile, seeders: [], httpFetch });
    expect(result).toMatchObject({ source: 'http', fallbackReason: 'no seeders', badSeeders: [] });
  });
});
