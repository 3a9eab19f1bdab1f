import { describe, expect, it } from 'vitest';
import {
  judgeKnownAnswer,
  knownAnswerAsked,
  knownAnswerBudgets,
  knownAnswerSpec,
  knownAnswersFor,
  type ChatKnownAnswer,
  type KnownAnswer,
} from './known-answers.ts';

const STOP: ChatKnownAnswer = { kind: 'chat', prompt: 'Tessera', maxTokens: 16, expectedCompletion: ' is here.', finishReason: 'stop' };
const LENGTH: ChatKnownAnswer = { ...STOP, prompt: 'Long', expectedCompletion: ' on and on', finishReason: 'length' };
const VECTOR: KnownAnswer = { kind: 'embeddings', text: 'a text', expectedVector: [0.6, 0.8] };

describe('known answers', () => {
  it('an answer that ended by itself may be asked with more budget; one cut off only with its own', () => {
    expect(knownAnswerBudgets(STOP, 128)).toEqual({ min: 16, max: 32 });
    expect(knownAnswerBudgets(STOP, 20)).toEqual({ min: 16, max: 20 });
    expect(knownAnswerBudgets(LENGTH, 128)).toEqual({ min: 16, max: 16 });
  });

  it('asks in the shape of ordinary tasks, and recognises its own asks (as test doubles of honest tabs do)', () => {
    const spec = knownAnswerSpec('m', STOP, 24);
    expect(spec).toEqual({
      kind: 'chat',
      model: 'm',
      messages: [{ role: 'user', content: 'Tessera' }],
      params: { maxTokens: 24, temperature: 0, topP: 1, seed: null, stop: [] },
    });
    expect(knownAnswerAsked([LENGTH, STOP, VECTOR], spec)).toBe(STOP);
    expect(knownAnswerAsked([LENGTH], knownAnswerSpec('m', LENGTH, 17))).toBeUndefined();
    expect(knownAnswerAsked([STOP], knownAnswerSpec('m', STOP, 15))).toBeUndefined();
    expect(knownAnswerAsked([VECTOR], knownAnswerSpec('m', VECTOR))).toBe(VECTOR);
    expect(knownAnswerAsked([VECTOR], { kind: 'embeddings', model: 'm', texts: ['a text', 'more'] })).toBeUndefined();
  });

  it('judges chat exactly (text and ending) and embeddings at the guards’ cosine bound', () => {
    const chat = (text: string, finishReason: 'stop' | 'length' = 'stop') => ({ kind: 'chat' as const, text, finishReason, tokenIds: [1] });
    expect(judgeKnownAnswer(STOP, chat(' is here.'))).toEqual({ ok: true });
    expect(judgeKnownAnswer(STOP, chat(' is there.'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('instead of the known answer'),
    });
    expect(judgeKnownAnswer(STOP, chat(' is here.', 'length'))).toMatchObject({ ok: false });
    expect(judgeKnownAnswer(STOP, { kind: 'embeddings', vectors: [[1]] })).toMatchObject({ ok: false });
    expect(judgeKnownAnswer(VECTOR, { kind: 'embeddings', vectors: [[0.6000001, 0.8]] })).toEqual({ ok: true });
    expect(judgeKnownAnswer(VECTOR, { kind: 'embeddings', vectors: [[0.8, 0.6]] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cosine'),
    });
    expect(judgeKnownAnswer(VECTOR, { kind: 'embeddings', vectors: [[0.6, 0.8, 0]] })).toMatchObject({ ok: false });
    expect(
      judgeKnownAnswer(VECTOR, {
        kind: 'embeddings',
        vectors: [
          [0.6, 0.8],
          [0.6, 0.8],
        ],
      }),
    ).toMatchObject({ ok: false });
  });

  it('asks a tab only the answers of the weights it loads (and those for any)', () => {
    const q4: KnownAnswer = { ...STOP, dtype: 'q4' };
    const q4f16: KnownAnswer = { ...STOP, dtype: 'q4f16' };
    expect(knownAnswersFor([q4, q4f16, VECTOR], 'q4')).toEqual([q4, VECTOR]);
    expect(knownAnswersFor([q4, q4f16], 'fp32')).toEqual([]);
    expect(knownAnswersFor([q4, VECTOR], undefined)).toEqual([VECTOR]);
  });
});
