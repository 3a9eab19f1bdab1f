import { describe, expect, it } from 'vitest';
import type { ChatTaskSpec } from '../task.ts';
import { judgeChatClaim, judgeClaim, judgeEmbeddingClaim, sampledLikelihoodZ } from './judge-claim.ts';
import type { ChatEvidence, TokenScore } from './verify-messages.ts';

const spec = (params: Partial<ChatTaskSpec['params']> = {}): ChatTaskSpec => ({
  kind: 'chat',
  model: 'm',
  messages: [{ role: 'user', content: 'Tessera' }],
  params: { maxTokens: 8, temperature: 0, topP: 1, seed: null, stop: [], ...params },
});
const top: TokenScore = { chosenLogit: 9, maxLogit: 9, rank: 0, logProb: -0.2, expectedLogProb: -0.5, logProbVariance: 0.4 };
const second: TokenScore = { chosenLogit: 7, maxLogit: 9, rank: 1, logProb: -2.1, expectedLogProb: -0.5, logProbVariance: 0.4 };
const claim = { kind: 'chat' as const, text: ' is a', finishReason: 'stop' as const, tokenIds: [1, 2] };
const evidence = (overrides: Partial<ChatEvidence> = {}): ChatEvidence => ({
  kind: 'chat',
  scores: [top, top],
  decodedText: ' is a',
  endScore: top,
  promptTokens: 1,
  ...overrides,
});

describe('judgeChatClaim', () => {
  it('accepts greedy tokens that are the guard top choice, within tolerance', () => {
    expect(judgeChatClaim(spec(), claim, evidence()).verdict).toBe('valid');
    const nearTie: TokenScore = { ...top, chosenLogit: 8.99, rank: 1 };
    expect(judgeChatClaim(spec(), claim, evidence({ scores: [top, nearTie] })).verdict).toBe('valid');
  });

  it('catches a greedy token the model would not pick, naming it', () => {
    const judged = judgeChatClaim(spec(), claim, evidence({ scores: [top, second] }));
    expect(judged.verdict).toBe('invalid');
    expect(judged.reason).toMatch(/token 1 \(id 2\)/);
  });

  it('accepts plausible sampled sequences and refuses an impossible token', () => {
    expect(judgeChatClaim(spec({ temperature: 0.8 }), claim, evidence({ scores: [top, second], endScore: second })).verdict).toBe('valid');
    const absurd: TokenScore = { ...top, chosenLogit: -20, rank: 5000, logProb: -29 };
    expect(judgeChatClaim(spec({ temperature: 0.8 }), claim, evidence({ scores: [top, absurd] })).reason).toMatch(/token 1/);
  });

  it('refuses a sampled sequence far less likely than honest sampling, by its z-score', () => {
    const unlikely: TokenScore = { ...top, logProb: -4, expectedLogProb: -0.5, logProbVariance: 0.25 };
    const many = Array.from({ length: 8 }, () => unlikely);
    const judged = judgeChatClaim(
      spec({ temperature: 1, maxTokens: 8 }),
      { ...claim, finishReason: 'length', tokenIds: many.map((_, i) => i) },
      evidence({ scores: many }),
    );
    expect(judged.verdict).toBe('invalid');
    expect(judged.reason).toMatch(/z = -19\.8/);
    expect(sampledLikelihoodZ([top, second])).toBeCloseTo((-0.2 - 2.1 + 1) / Math.sqrt(0.8), 10);
  });

  it('accepts a length stop short of max_tokens when the context window is full', () => {
    const atContext = { ...claim, finishReason: 'length' as const };
    expect(judgeChatClaim(spec({ maxTokens: 8 }), atContext, evidence({ promptTokens: 126 })).verdict).toBe('invalid');
    expect(judgeChatClaim(spec({ maxTokens: 8 }), atContext, evidence({ promptTokens: 126 }), { contextLength: 128 }).verdict).toBe(
      'valid',
    );
  });

  it('refuses text that is not the decoding of the tokens, and truncation without a stop sequence', () => {
    expect(judgeChatClaim(spec(), { ...claim, text: ' is b' }, evidence()).verdict).toBe('invalid');
    expect(judgeChatClaim(spec(), { ...claim, text: ' is' }, evidence()).reason).toMatch(/cut short/);
    expect(judgeChatClaim(spec({ stop: [' a'] }), { ...claim, text: ' is' }, evidence()).verdict).toBe('valid');
  });

  it('checks the finish reason: an early stop must be the model choosing end-of-sequence', () => {
    expect(judgeChatClaim(spec(), claim, evidence({ endScore: second })).reason).toMatch(/would not end/);
    expect(judgeChatClaim(spec(), claim, evidence({ endScore: null })).verdict).toBe('invalid');
    expect(judgeChatClaim(spec({ maxTokens: 2 }), { ...claim, finishReason: 'length' }, evidence({ endScore: second })).verdict).toBe(
      'valid',
    );
    expect(judgeChatClaim(spec({ maxTokens: 8 }), { ...claim, finishReason: 'length' }, evidence()).reason).toMatch(
      /finish_reason is length/,
    );
  });

  it('refuses evidence for another number of tokens and claims over max_tokens', () => {
    expect(judgeChatClaim(spec(), claim, evidence({ scores: [top] })).verdict).toBe('invalid');
    expect(judgeChatClaim(spec({ maxTokens: 1 }), claim, evidence()).verdict).toBe('invalid');
  });
});

describe('judgeEmbeddingClaim / judgeClaim', () => {
  const vectors = {
    kind: 'embeddings' as const,
    vectors: [
      [1, 0],
      [0, 1],
    ],
  };
  it('needs every cosine at the bound', () => {
    expect(judgeEmbeddingClaim(vectors, { kind: 'embeddings', cosines: [1, 0.99995] }).verdict).toBe('valid');
    expect(judgeEmbeddingClaim(vectors, { kind: 'embeddings', cosines: [1, 0.999] }).verdict).toBe('invalid');
    expect(judgeEmbeddingClaim(vectors, { kind: 'embeddings', cosines: [1] }).verdict).toBe('invalid');
  });
  it('refuses mixed kinds', () => {
    expect(judgeClaim(spec(), vectors, { kind: 'embeddings', cosines: [1, 1] }).verdict).toBe('invalid');
  });
});
