import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import type { GpuInfo, ModelCatalogEntry } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { availableBackends, defaultBackend, modelFit } from './device-fit.ts';
import type { DeviceInfo } from './device-fit.ts';

const swiftShader: GpuInfo = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: 'SwiftShader device',
  isFallbackAdapter: true,
  features: [],
  maxBufferSize: 2 ** 30,
  maxStorageBufferBindingSize: 2 ** 27,
};
const hardware: GpuInfo = { ...swiftShader, vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false, features: ['shader-f16'] };

function device(gpu: GpuInfo | null): DeviceInfo {
  return { gpu, gpuUnavailableReason: gpu ? null : 'no adapter', crossOriginIsolated: true, hardwareConcurrency: 4, deviceMemoryGiB: 8 };
}

function entry(id: string): ModelCatalogEntry {
  const found = findModel(MODEL_CATALOG, id);
  if (!found) throw new Error(`catalog lacks ${id}`);
  return found;
}

const webLlm = MODEL_CATALOG.find((candidate) => candidate.engine === 'web-llm');

describe('defaultBackend', () => {
  it('prefers WebGPU only on a hardware adapter', () => {
    expect(defaultBackend(device(hardware))).toBe('webgpu');
    expect(defaultBackend(device(swiftShader))).toBe('wasm');
    expect(defaultBackend(device(null))).toBe('wasm');
    expect(availableBackends(device(null))).toEqual(['wasm']);
  });
});

describe('modelFit', () => {
  it('runs the tiny model anywhere', () => {
    expect(modelFit(entry(TINY_GPT2_ID), 'wasm', device(null))).toEqual({ ok: true });
    expect(modelFit(entry(TINY_GPT2_ID), 'webgpu', device(swiftShader))).toEqual({ ok: true });
  });

  it('refuses WebGPU without an adapter', () => {
    expect(modelFit(entry(TINY_GPT2_ID), 'webgpu', device(null)).ok).toBe(false);
  });

  it('keeps web-llm to hardware GPUs with the features its library needs', () => {
    if (!webLlm) throw new Error('catalog has no web-llm model');
    expect(modelFit(webLlm, 'wasm', device(hardware)).ok).toBe(false);
    expect(modelFit(webLlm, 'webgpu', device(swiftShader)).ok).toBe(false);
    expect(modelFit(webLlm, 'webgpu', device({ ...hardware, features: [] })).ok).toBe(false);
    expect(modelFit(webLlm, 'webgpu', device(hardware))).toEqual({ ok: true });
  });
});
