import { MODEL_CATALOG } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { GUARD_NEEDS_LOGITS, roleFit } from './role-fit.ts';

describe('roleFit', () => {
  it('keeps web-llm models off guards and lets workers offer everything', () => {
    for (const entry of MODEL_CATALOG) {
      expect(roleFit(entry, 'worker')).toEqual({ ok: true });
      expect(roleFit(entry, 'guard')).toEqual(entry.engine === 'transformers' ? { ok: true } : { ok: false, reason: GUARD_NEEDS_LOGITS });
    }
    expect(MODEL_CATALOG.some((entry) => entry.engine === 'web-llm')).toBe(true);
  });
});
