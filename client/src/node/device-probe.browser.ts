import { gpuInfoSchema } from '@tessera/shared';
import type { GpuInfo } from '@tessera/shared';
import { z } from 'zod';
import type { DeviceInfo } from './device-fit.ts';

/** TypeScript's DOM library has no WebGPU types yet; this is the little the probe touches. */
interface GpuEntryPoint {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<unknown>;
}

function isGpuEntryPoint(value: unknown): value is GpuEntryPoint {
  return typeof value === 'object' && value !== null && 'requestAdapter' in value && typeof value.requestAdapter === 'function';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.iterator in value;
}

/** What a GPUAdapter exposes, parsed like any outside data (browsers differ in what they fill in). */
const adapterSchema = z.object({
  info: z
    .object({
      vendor: z.string().catch(''),
      architecture: z.string().catch(''),
      device: z.string().catch(''),
      description: z.string().catch(''),
      isFallbackAdapter: z.boolean().optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  // Deprecated in favour of `info.isFallbackAdapter`; older Chromium has only this.
  isFallbackAdapter: z.boolean().optional().catch(undefined),
  limits: z.object({ maxBufferSize: z.number(), maxStorageBufferBindingSize: z.number() }),
});

function gpuInfoFromAdapter(adapter: unknown): GpuInfo {
  const parsed = adapterSchema.parse(adapter);
  const features: string[] = [];
  const rawFeatures = typeof adapter === 'object' && adapter !== null && 'features' in adapter ? adapter.features : null;
  if (isIterable(rawFeatures)) for (const feature of rawFeatures) if (typeof feature === 'string') features.push(feature.slice(0, 100));
  return gpuInfoSchema.parse({
    vendor: (parsed.info?.vendor ?? '').slice(0, 200),
    architecture: (parsed.info?.architecture ?? '').slice(0, 200),
    device: (parsed.info?.device ?? '').slice(0, 200),
    description: (parsed.info?.description ?? '').slice(0, 500),
    isFallbackAdapter: parsed.info?.isFallbackAdapter ?? parsed.isFallbackAdapter ?? false,
    features: features.sort().slice(0, 100),
    maxBufferSize: parsed.limits.maxBufferSize,
    maxStorageBufferBindingSize: parsed.limits.maxStorageBufferBindingSize,
  });
}

async function probeGpu(): Promise<{ gpu: GpuInfo | null; reason: string | null }> {
  const entryPoint: unknown = 'gpu' in navigator ? navigator.gpu : undefined;
  if (!isGpuEntryPoint(entryPoint)) return { gpu: null, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await entryPoint.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null || adapter === undefined) return { gpu: null, reason: 'WebGPU is present but offered no adapter' };
    return { gpu: gpuInfoFromAdapter(adapter), reason: null };
  } catch (error) {
    return { gpu: null, reason: `requesting a WebGPU adapter failed: ${error instanceof Error ? error.message : 'unknown error'}` };
  }
}

const deviceMemorySchema = z.number().positive();

/** Looks at the device: WebGPU adapter, isolation (for WASM threads), cores, memory. */
export async function probeDevice(): Promise<DeviceInfo> {
  const { gpu, reason } = await probeGpu();
  const memory = deviceMemorySchema.safeParse('deviceMemory' in navigator ? navigator.deviceMemory : undefined);
  return {
    gpu,
    gpuUnavailableReason: reason,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: Math.max(1, Math.min(1024, navigator.hardwareConcurrency || 1)),
    deviceMemoryGiB: memory.success ? memory.data : null,
  };
}
