import { describe, expect, it } from 'vitest';
import { nucleusFilter } from './nucleus-filter.ts';

function probabilitiesToLogits(probabilities: readonly number[]): Float32Array {
  return Float32Array.from(probabilities.map((p) => Math.log(p)));
}

describe('nucleusFilter', () => {
  it('keeps the smallest most-probable set reaching top_p', () => {
    const logits = probabilitiesToLogits([0.1, 0.5, 0.3, 0.1]);
    nucleusFilter(logits, 4, 0.7);
    expect(Array.from(logits).map(Number.isFinite)).toEqual([false, true, true, false]);
  });

  it('always keeps the most probable token', () => {
    const logits = probabilitiesToLogits([0.2, 0.8]);
    nucleusFilter(logits, 2, 0.01);
    expect(Array.from(logits).map(Number.isFinite)).toEqual([false, true]);
  });

  it('leaves logits untouched at top_p 1', () => {
    const logits = probabilitiesToLogits([0.25, 0.25, 0.5]);
    const before = Array.from(logits);
    nucleusFilter(logits, 3, 1);
    expect(Array.from(logits)).toEqual(before);
  });

  it('filters each row of a batch on its own', () => {
    const logits = Float32Array.from([...probabilitiesToLogits([0.9, 0.1]), ...probabilitiesToLogits([0.1, 0.9])]);
    nucleusFilter(logits, 2, 0.5);
    expect(Array.from(logits).map(Number.isFinite)).toEqual([true, false, false, true]);
  });
});
