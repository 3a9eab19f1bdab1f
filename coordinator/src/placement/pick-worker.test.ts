import { TINY_GPT2_ID, nodeIdSchema } from '@tessera/shared';
import type { GpuInfo, OfferedModel } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { catalogEntry } from '../../test/support/catalog-entry.ts';
import { deviceFits } from './eligibility.ts';
import { pickWorker, type PlacementCandidate } from './pick-worker.ts';

const tiny = catalogEntry(TINY_GPT2_ID);
const webLlm = catalogEntry('Qwen2.5-0.5B-Instruct-q4f16_1-MLC');

const realGpu: GpuInfo = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'H100',
  isFallbackAdapter: false,
  features: ['shader-f16'],
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 31,
};
const swiftShader: GpuInfo = { ...realGpu, vendor: 'google', description: 'SwiftShader', isFallbackAdapter: true, maxBufferSize: 2 ** 30 };

let counter = 0;
function candidate(overrides: Partial<PlacementCandidate> & { offered?: OfferedModel[] } = {}): PlacementCandidate {
  counter++;
  const offered = overrides.offered ?? [{ id: TINY_GPT2_ID, state: 'loaded', backend: 'wasm' }];
  return {
    nodeId: nodeIdSchema.parse(`00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`),
    tier: 'trusted',
    role: 'worker',
    models: new Map(offered.map((entry) => [entry.id, entry])),
    gpu: null,
    activeTaskCount: 0,
    maxConcurrentTasks: 1,
    tokensPerSecond: null,
    lastAssignedAt: 0,
    ...overrides,
  };
}

describe('pickWorker', () => {
  it('returns nothing when no tab offers the model', () => {
    expect(pickWorker(tiny, [candidate({ offered: [] })])).toBeUndefined();
  });

  it('never places work on guards or on full tabs', () => {
    expect(pickWorker(tiny, [candidate({ role: 'guard' }), candidate({ activeTaskCount: 1 })])).toBeUndefined();
  });

  it('prefers a loaded model over a cached one over one still to download', () => {
    const available = candidate({ offered: [{ id: TINY_GPT2_ID, state: 'available', backend: 'wasm' }], tokensPerSecond: 1000 });
    const cached = candidate({ offered: [{ id: TINY_GPT2_ID, state: 'cached', backend: 'wasm' }], tokensPerSecond: 500 });
    const loaded = candidate({ tokensPerSecond: 10 });
    expect(pickWorker(tiny, [available, cached, loaded])?.nodeId).toBe(loaded.nodeId);
    expect(pickWorker(tiny, [available, cached])?.nodeId).toBe(cached.nodeId);
  });

  it('prefers the less loaded, then the faster, then the longest idle tab', () => {
    const busy = candidate({ maxConcurrentTasks: 4, activeTaskCount: 3, tokensPerSecond: 900 });
    const idleSlow = candidate({ maxConcurrentTasks: 4, tokensPerSecond: 100 });
    const idleFast = candidate({ maxConcurrentTasks: 4, tokensPerSecond: 800 });
    expect(pickWorker(tiny, [busy, idleSlow, idleFast])?.nodeId).toBe(idleFast.nodeId);
    const recently = candidate({ lastAssignedAt: 2000 });
    const longAgo = candidate({ lastAssignedAt: 1000 });
    expect(pickWorker(tiny, [recently, longAgo])?.nodeId).toBe(longAgo.nodeId);
  });

  it('does not give web-llm work to a tab without a real GPU', () => {
    const offered: OfferedModel[] = [{ id: webLlm.id, state: 'loaded', backend: 'webgpu' }];
    expect(pickWorker(webLlm, [candidate({ offered, gpu: null }), candidate({ offered, gpu: swiftShader })])).toBeUndefined();
    const gpuTab = candidate({ offered, gpu: realGpu });
    expect(pickWorker(webLlm, [gpuTab])?.nodeId).toBe(gpuTab.nodeId);
  });
});

describe('deviceFits', () => {
  it('accepts WASM for models that list it and refuses backends a model lacks', () => {
    expect(deviceFits(tiny, 'wasm', null)).toBe(true);
    expect(deviceFits(webLlm, 'wasm', realGpu)).toBe(false);
  });
  it('needs an adapter for WebGPU', () => {
    expect(deviceFits(tiny, 'webgpu', null)).toBe(false);
    expect(deviceFits(tiny, 'webgpu', swiftShader)).toBe(true);
  });
});
