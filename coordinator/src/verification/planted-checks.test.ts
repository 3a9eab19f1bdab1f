import { cosineSimilarity, emptyReputation } from '@tessera/shared';
import type { ChatEvidence, TaskSpec, TokenScore } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { PlantedChecks } from './planted-checks.ts';

const chatSpec: TaskSpec = {
  kind: 'chat',
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  params: { temperature: 0, maxTokens: 8, stop: [] },
} as unknown as TaskSpec;
const embedSpec: TaskSpec = { kind: 'embeddings', model: 'e', texts: ['a'] };
const score = (gap: number): TokenScore => ({
  chosenLogit: 10 - gap,
  maxLogit: 10,
  rank: gap > 0 ? 1 : 0,
  logProb: 0,
  expectedLogProb: 0,
  logProbVariance: 0,
});
const chatEvidence = (gap: number): ChatEvidence => ({
  kind: 'chat',
  scores: [score(gap), score(0)],
  decodedText: 'a b',
  endScore: score(0),
  promptTokens: 2,
});
const decode = async (_model: string, ids: readonly number[]) => ids.map((id) => `t${id}`).join(' ');

/** A sequence of uniform draws, repeated. */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('PlantedChecks', () => {
  it('keeps only results two guards confirmed with room to spare, and never plants one on a tab that saw it', async () => {
    const planted = new PlantedChecks({ decode, random: draws(0) });
    const claim = { kind: 'chat' as const, text: 't1 t2', finishReason: 'stop' as const, tokenIds: [1, 2] };
    planted.recordConfirmed(chatSpec, claim, 'worker', [{ guardKey: 'g1', evidence: chatEvidence(0) }]);
    planted.recordConfirmed(chatSpec, claim, 'worker', [
      { guardKey: 'g1', evidence: chatEvidence(0.04) },
      { guardKey: 'g2', evidence: chatEvidence(0) },
    ]);
    expect(planted.known('m')).toBe(0);
    planted.recordConfirmed(chatSpec, claim, 'worker', [
      { guardKey: 'g1', evidence: chatEvidence(0.01) },
      { guardKey: 'g2', evidence: chatEvidence(0) },
    ]);
    expect(planted.known('m')).toBe(1);
    for (const seen of ['g1', 'g2', 'worker']) expect(await planted.draw(seen, emptyReputation(), 'm')).toBeUndefined();
    expect(await planted.draw('g3', emptyReputation(), 'm')).toBeDefined();
  });

  it('a known-wrong chat claim has one token swapped and its text decoded again', async () => {
    // Drawn (0 < p), the first kept, known wrong (0 < ½), position 1, replacement the first candidate.
    const planted = new PlantedChecks({ decode, random: draws(0, 0, 0, 0.6, 0) });
    const votes = [
      { guardKey: 'g1', evidence: chatEvidence(0) },
      { guardKey: 'g2', evidence: chatEvidence(0) },
    ];
    planted.recordConfirmed(chatSpec, { kind: 'chat', text: 't1 t2', finishReason: 'stop', tokenIds: [1, 2] }, 'w', votes);
    planted.recordConfirmed(chatSpec, { kind: 'chat', text: 't3 t4', finishReason: 'stop', tokenIds: [3, 4] }, 'w', votes);
    const plant = await planted.draw('g3', emptyReputation(), 'm');
    expect(plant?.truth).toBe('invalid');
    expect(plant?.claim).toEqual({ kind: 'chat', text: 't3 t1', finishReason: 'stop', tokenIds: [3, 1] });
  });

  it('a known-wrong embedding keeps its length and is off by far more than the tolerance', async () => {
    const planted = new PlantedChecks({ decode, random: draws(0) });
    const vector = [0.1, 0.5, -0.3, 0.2];
    const cosines = { kind: 'embeddings' as const, cosines: [1] };
    planted.recordConfirmed(embedSpec, { kind: 'embeddings', vectors: [vector] }, 'w', [
      { guardKey: 'g1', evidence: cosines },
      { guardKey: 'g2', evidence: cosines },
    ]);
    const plant = await planted.draw('g3', emptyReputation(), 'e');
    expect(plant?.truth).toBe('invalid');
    const swapped = plant?.claim.kind === 'embeddings' ? (plant.claim.vectors[0] ?? []) : [];
    expect(Math.hypot(...swapped)).toBeCloseTo(Math.hypot(...vector), 12);
    expect(cosineSimilarity(vector, swapped)).toBeLessThan(0.999);
  });

  it("plants at the guard's own check rate: rarely for a guard with a long clean record", async () => {
    const planted = new PlantedChecks({ decode, random: draws(0.5) });
    const cosines = { kind: 'embeddings' as const, cosines: [1] };
    planted.recordConfirmed(embedSpec, { kind: 'embeddings', vectors: [[1, 0]] }, 'w', [
      { guardKey: 'g1', evidence: cosines },
      { guardKey: 'g2', evidence: cosines },
    ]);
    const veteran = { ...emptyReputation(), validChecks: 400, consecutiveValid: 400 };
    expect(await planted.draw('g3', veteran, 'e')).toBeUndefined();
    expect(await planted.draw('g3', emptyReputation(), 'e')).toBeDefined();
  });
});
