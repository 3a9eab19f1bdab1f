import { describe, expect, it } from 'vitest';
import { logitsShaping, shapeRow, TokenCounts } from './logits-shaping.ts';

const params = { maxTokens: 10, temperature: 0, topP: 1, seed: null, stop: [] };

describe('logits shaping (logit_bias and penalties, as OpenAI defines them)', () => {
  it('is absent for neutral parameters', () => {
    expect(logitsShaping(params)).toBeNull();
    expect(logitsShaping({ ...params, logitBias: {}, frequencyPenalty: 0, presencePenalty: 0 })).toBeNull();
  });

  it('adds the bias, then subtracts count × frequency and presence once per generated token', () => {
    const shaping = logitsShaping({ ...params, logitBias: { '1': 5, '9': 3 }, frequencyPenalty: 0.5, presencePenalty: 1 });
    if (shaping === null) throw new Error('expected shaping');
    const counts = new TokenCounts();
    counts.add(2);
    counts.add(2);
    counts.add(3);
    const row = new Float32Array([0, 0, 0, 0]);
    shapeRow(row, shaping, counts);
    expect([...row]).toEqual([0, 5, -2, -1.5]);
  });
});
