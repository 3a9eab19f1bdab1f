import { TINY_GPT2_ID, judgeChatClaim } from '@tessera/shared';
import type { ChatTaskSpec } from '@tessera/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLocalCausalLm } from '../../test-support/local-causal-lm.ts';
import type { CausalLm } from './causal-lm.ts';
import { generateChat } from './chat-generation.ts';
import { scoreChat } from './chat-scoring.ts';

/** The tiny GPT-2 only knows one sentence of prose: whatever JSON it writes, the grammar made it write. */
function chat(overrides: Partial<ChatTaskSpec> = {}, params: Partial<ChatTaskSpec['params']> = {}): ChatTaskSpec {
  return {
    kind: 'chat',
    model: TINY_GPT2_ID,
    messages: [{ role: 'user', content: 'Tessera' }],
    params: { maxTokens: 60, temperature: 0, topP: 1, seed: null, stop: [], ...params },
    ...overrides,
  };
}

let lm: CausalLm;
beforeAll(async () => {
  lm = await loadLocalCausalLm(TINY_GPT2_ID);
});

describe('constrained decoding in the tab (XGrammar masks)', () => {
  it('makes a model that writes prose answer with a JSON object valid against the schema', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const { output } = await generateChat(lm, { task: chat({ responseFormat: { type: 'json_schema', schema } }) });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.finishReason).toBe('stop');
    const parsed: unknown = JSON.parse(output.text);
    expect(parsed).toEqual({ ok: expect.any(Boolean) });
  });

  it('without a format the same prompt gives its prose', async () => {
    const { output } = await generateChat(lm, { task: chat() });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.text).toBe(' is a volunteer network for AI inference in web browsers.');
  });

  it('reports per-token log probabilities with alternatives, best first, the chosen greedy token on top', async () => {
    const { output } = await generateChat(lm, { task: chat({}, { topLogprobs: 3 }) });
    if (output.kind !== 'chat' || output.logprobs === undefined) throw new Error('no logprobs');
    expect(output.logprobs).toHaveLength(output.tokenIds.length);
    output.logprobs.forEach((entry, index) => {
      expect(entry.top).toHaveLength(3);
      expect(entry.top[0]?.[0]).toBe(output.tokenIds[index]);
      expect(entry.logprob).toBeCloseTo(entry.top[0]?.[1] ?? Number.NaN, 6);
      expect(entry.top[0]?.[1]).toBeGreaterThanOrEqual(entry.top[1]?.[1] ?? 0);
    });
  });

  it('honours logit_bias: a token banned with −100 never appears', async () => {
    const plain = await generateChat(lm, { task: chat() });
    if (plain.output.kind !== 'chat') throw new Error('not chat');
    const first = plain.output.tokenIds[0];
    const { output } = await generateChat(lm, { task: chat({}, { logitBias: { [String(first)]: -100 } }) });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.tokenIds).not.toContain(first);
  });
});

describe('guards re-check shaped and constrained answers under the same rules', () => {
  it('an honest JSON answer, with its log probabilities, is judged valid', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const task = chat(
      { responseFormat: { type: 'json_schema', schema } },
      { topLogprobs: 2, logitBias: { '9': 1.5 }, frequencyPenalty: 0.5 },
    );
    const { output } = await generateChat(lm, { task });
    if (output.kind !== 'chat') throw new Error('not chat');
    const evidence = await scoreChat(lm, { task, tokenIds: output.tokenIds });
    expect(judgeChatClaim(task, output, evidence).verdict).toBe('valid');
  });

  it('the unconstrained canary, claimed for a JSON task, is refused: its tokens break the grammar', async () => {
    const free = await generateChat(lm, { task: chat() });
    if (free.output.kind !== 'chat') throw new Error('not chat');
    const task = chat({ responseFormat: { type: 'json_object' } });
    await expect(scoreChat(lm, { task, tokenIds: free.output.tokenIds })).rejects.toThrow(/not allowed by the task's output grammar/);
  });

  it('the best unmasked token where the grammar forbids it is refused; the best allowed one passes', async () => {
    const task = chat({ responseFormat: { type: 'json_object' } });
    const { output } = await generateChat(lm, { task });
    if (output.kind !== 'chat') throw new Error('not chat');
    // Greedy without the mask would start with " is"; with it, the first token is "{" and nothing else.
    const forged = { ...output, tokenIds: [299, ...output.tokenIds.slice(1)] };
    await expect(scoreChat(lm, { task, tokenIds: forged.tokenIds })).rejects.toThrow(/not allowed/);
    const evidence = await scoreChat(lm, { task, tokenIds: output.tokenIds });
    expect(judgeChatClaim(task, output, evidence).verdict).toBe('valid');
  });

  it('invented log probabilities and ignored logit_bias are caught', async () => {
    const task = chat({}, { topLogprobs: 1 });
    const { output } = await generateChat(lm, { task });
    if (output.kind !== 'chat' || output.logprobs === undefined) throw new Error('no logprobs');
    const evidence = await scoreChat(lm, { task, tokenIds: output.tokenIds });
    const inflated = { ...output, logprobs: output.logprobs.map((entry) => ({ ...entry, logprob: entry.logprob - 0.5 })) };
    expect(judgeChatClaim(task, inflated, evidence).reason).toMatch(/log probability/);

    // A tab that ignores a bias against its favourite token answers as if unbiased: the guard sees that
    // token is no longer the best.
    const first = output.tokenIds[0] ?? -1;
    const biased = chat({}, { logitBias: { [String(first)]: -100 } });
    const ignoring = { ...output, logprobs: undefined };
    const biasedEvidence = await scoreChat(lm, { task: biased, tokenIds: output.tokenIds });
    expect(judgeChatClaim(biased, ignoring, biasedEvidence).verdict).toBe('invalid');
  });
});
