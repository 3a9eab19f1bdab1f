import { describe, expect, it } from 'vitest';
import { DownloadProgress } from './download-progress.ts';

describe('DownloadProgress', () => {
  it('sums bytes over files against the larger of reported and expected totals', () => {
    const progress = new DownloadProgress('m', 1000);
    progress.update({ status: 'initiate', file: 'config.json' });
    const first = progress.update({ status: 'progress', file: 'onnx/model.onnx', loaded: 200, total: 800 });
    expect(first).toMatchObject({ modelId: 'm', loadedBytes: 200, totalBytes: 1000, fraction: 0.2 });
    const second = progress.update({ status: 'progress', file: 'tokenizer.json', loaded: 300, total: 300 });
    expect(second).toMatchObject({ loadedBytes: 500, totalBytes: 1100 });
    expect(second.fraction).toBeCloseTo(500 / 1100);
  });

  it('reaches 1 when every started file is done, even if files came from cache without bytes', () => {
    const progress = new DownloadProgress('m', 1000);
    progress.update({ status: 'initiate', file: 'a' });
    expect(progress.update({ status: 'done', file: 'a' }).fraction).toBe(1);
  });

  it('prefers the library aggregate when it covers more files than seen so far', () => {
    const progress = new DownloadProgress('m', 0);
    progress.update({ status: 'progress', file: 'a', loaded: 10, total: 100 });
    const snapshot = progress.update({ status: 'progress_total', loaded: 10, total: 400 });
    expect(snapshot).toMatchObject({ loadedBytes: 10, totalBytes: 400 });
  });

  it('reports unknown totals as null', () => {
    expect(new DownloadProgress('m', 0).snapshot()).toMatchObject({ totalBytes: null, fraction: 0 });
    expect(new DownloadProgress('m', 0).complete().fraction).toBe(1);
  });
});
