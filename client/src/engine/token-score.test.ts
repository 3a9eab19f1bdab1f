import { describe, expect, it } from 'vitest';
import { bestTokenScore, scoreToken } from './token-score.ts';

/** log-softmax the slow, obvious way, for comparison. */
function naiveLogProb(row: number[], tokenId: number, temperature: number): number {
  const scaled = row.map((logit) => logit / temperature);
  const total = scaled.reduce((sum, value) => sum + Math.exp(value), 0);
  return Math.log(Math.exp(scaled[tokenId] ?? 0) / total);
}

describe('scoreToken', () => {
  const row = Float32Array.from([1, 3, 2, 3, -1]);

  it('gives the logit, the best logit and how many tokens score strictly higher', () => {
    expect(scoreToken(row, 1, 0)).toEqual({ chosenLogit: 3, maxLogit: 3, rank: 0, logProb: 0, expectedLogProb: 0, logProbVariance: 0 });
    // A tie for first place: both are rank 0.
    expect(scoreToken(row, 3, 0).rank).toBe(0);
    expect(scoreToken(row, 2, 0)).toEqual({ chosenLogit: 2, maxLogit: 3, rank: 2, logProb: 0, expectedLogProb: 0, logProbVariance: 0 });
    expect(scoreToken(row, 4, 0).rank).toBe(4);
  });

  it('computes log P(token) under the temperature', () => {
    for (const temperature of [0.25, 0.7, 1, 2]) {
      for (let tokenId = 0; tokenId < row.length; tokenId++) {
        expect(scoreToken(row, tokenId, temperature).logProb).toBeCloseTo(naiveLogProb([...row], tokenId, temperature), 10);
      }
    }
  });

  it('gives a log probability of 0 for temperature 0 (greedy decoding is judged by the logit gap)', () => {
    expect(scoreToken(row, 4, 0).logProb).toBe(0);
  });

  it('stays finite with logits that would overflow exp()', () => {
    const large = Float32Array.from([1000, 999, -1000]);
    const score = scoreToken(large, 1, 1);
    expect(score.logProb).toBeCloseTo(naiveLogProb([1, 0, -2000], 1, 1), 10);
    expect(Number.isFinite(scoreToken(large, 2, 0.1).logProb)).toBe(true);
  });

  it('refuses ids outside the row', () => {
    expect(() => scoreToken(row, 5, 1)).toThrow(RangeError);
    expect(() => scoreToken(row, -1, 1)).toThrow(RangeError);
    expect(() => scoreToken(row, 1.5, 1)).toThrow(RangeError);
  });
});

describe('bestTokenScore', () => {
  const row = Float32Array.from([0, 5, 4, 1]);

  it('picks the candidate with the largest logit, the first on a tie', () => {
    expect(bestTokenScore(row, [3, 2], 0)).toMatchObject({ chosenLogit: 4, rank: 1 });
    expect(bestTokenScore(row, new Set([1, 2]), 1)?.chosenLogit).toBe(5);
  });

  it('skips ids outside the row and answers null when no candidate is left', () => {
    expect(bestTokenScore(row, [99, 3], 0)).toMatchObject({ chosenLogit: 1 });
    expect(bestTokenScore(row, [], 0)).toBeNull();
    expect(bestTokenScore(row, [4], 0)).toBeNull();
  });

  it('gives the mean and variance of log p over the distribution (minus entropy, and its spread)', () => {
    const uniform = scoreToken([5, 5, 5, 5], 0, 1);
    expect(uniform.expectedLogProb).toBeCloseTo(-Math.log(4), 12);
    expect(uniform.logProbVariance).toBeCloseTo(0, 12);
    const row = [2, 1, 0.5, -1];
    const score = scoreToken(row, 2, 0.7);
    const logps = row.map((_, i) => naiveLogProb(row, i, 0.7));
    const mean = logps.reduce((sum, logp) => sum + Math.exp(logp) * logp, 0);
    const variance = logps.reduce((sum, logp) => sum + Math.exp(logp) * (logp - mean) ** 2, 0);
    expect(score.expectedLogProb).toBeCloseTo(mean, 10);
    expect(score.logProbVariance).toBeCloseTo(variance, 10);
  });
});
