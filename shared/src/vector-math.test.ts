import { describe, expect, it } from 'vitest';
import { cosineSimilarity } from './vector-math.ts';

describe('cosineSimilarity', () => {
  it('is 1 for parallel, 0 for orthogonal, -1 for opposite vectors', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
    expect(cosineSimilarity([1, 1], [-1, -1])).toBeCloseTo(-1, 12);
  });
  it('refuses vectors of different lengths and treats zero vectors as dissimilar', () => {
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
  });
});
