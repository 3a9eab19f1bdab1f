import type { Backend, GpuInfo, ModelCatalogEntry } from '@tessera/shared';

/** What the page learned about the device it runs on. */
export interface DeviceInfo {
  /** The WebGPU adapter, or null when the browser offers none. */
  gpu: GpuInfo | null;
  /** Why there is no adapter, for the page to say honestly. */
  gpuUnavailableReason: string | null;
  /** SharedArrayBuffer (and so multi-threaded WASM) needs a cross-origin isolated page. */
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  deviceMemoryGiB: number | null;
}

export type ModelFit = { ok: true } | { ok: false; reason: string };

/** WebGPU when a hardware adapter exists; a software (fallback) adapter is slower than WASM. */
export function defaultBackend(device: DeviceInfo): Backend {
  return device.gpu !== null && !device.gpu.isFallbackAdapter ? 'webgpu' : 'wasm';
}

/** The backends this device can run at all. */
export function availableBackends(device: DeviceInfo): Backend[] {
  return device.gpu === null ? ['wasm'] : ['wasm', 'webgpu'];
}

/** Whether the device can serve `entry` on `backend`, and if not, why (shown next to the model). */
export function modelFit(entry: ModelCatalogEntry, backend: Backend, device: DeviceInfo): ModelFit {
  if (!entry.backends.includes(backend)) {
    return { ok: false, reason: `runs on ${entry.backends.join(' or ')} only` };
  }
  if (entry.dtype[backend] === undefined) return { ok: false, reason: `no weights for ${backend} in the catalog` };
  if (backend === 'webgpu') {
    if (device.gpu === null) return { ok: false, reason: 'needs WebGPU, which this browser does not offer' };
    if (entry.engine === 'web-llm' && device.gpu.isFallbackAdapter) {
      return { ok: false, reason: 'needs a hardware GPU (a software adapter takes minutes to compile its shaders)' };
    }
    if (entry.dtype.webgpu?.includes('f16') && !device.gpu.features.includes('shader-f16')) {
      return { ok: false, reason: 'needs the shader-f16 GPU feature, which this adapter lacks' };
    }
  }
  return { ok: true };
}
