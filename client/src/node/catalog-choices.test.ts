import { MODEL_CATALOG, TINY_GPT2_ID } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { catalogChoices } from './catalog-choices.ts';
import type { DeviceInfo } from './device-fit.ts';
import { GUARD_NEEDS_LOGITS } from './role-fit.ts';

const NO_GPU: DeviceInfo = {
  gpu: null,
  gpuUnavailableReason: 'none',
  crossOriginIsolated: true,
  hardwareConcurrency: 2,
  deviceMemoryGiB: null,
};

describe('catalogChoices', () => {
  it('lists every catalog model; the role decides first, then the device, which must be known', () => {
    const webLlm = MODEL_CATALOG.find((entry) => entry.engine === 'web-llm');
    const guard = catalogChoices(MODEL_CATALOG, 'guard', 'wasm', NO_GPU);
    expect(guard.map((choice) => choice.entry.id)).toEqual(MODEL_CATALOG.map((entry) => entry.id));
    if (webLlm !== undefined)
      expect(guard.find((choice) => choice.entry.id === webLlm.id)?.fit).toEqual({ ok: false, reason: GUARD_NEEDS_LOGITS });
    expect(guard.find((choice) => choice.entry.id === TINY_GPT2_ID)?.fit).toEqual({ ok: true });
    const tinyGpt2 = (choices: ReturnType<typeof catalogChoices>) => choices.find((choice) => choice.entry.id === TINY_GPT2_ID)?.fit;
    expect(tinyGpt2(catalogChoices(MODEL_CATALOG, 'worker', 'wasm', null))).toEqual({ ok: false, reason: 'checking the device…' });
    expect(tinyGpt2(catalogChoices(MODEL_CATALOG, 'worker', 'webgpu', NO_GPU))?.ok).toBe(false);
  });
});
