import { TINY_GPT2_ID, judgeClaim } from '@tessera/shared';
import type { ChatTaskSpec } from '@tessera/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeGenerated, promptTokenIds } from './causal-lm.ts';
import type { CausalLm } from './causal-lm.ts';
import { generateChat } from './chat-generation.ts';
import { scoreChat } from './chat-scoring.ts';
import type { ChatOutput } from './inference-engine.ts';
import { loadLocalCausalLm } from '../../test-support/local-causal-lm.ts';

function chat(params: Partial<ChatTaskSpec['params']> = {}, prompt = 'Tessera'): ChatTaskSpec {
  return {
    kind: 'chat',
    model: TINY_GPT2_ID,
    messages: [{ role: 'user', content: prompt }],
    params: { maxTokens: 100, temperature: 0, topP: 1, seed: null, stop: [], ...params },
  };
}

async function generated(task: ChatTaskSpec): Promise<ChatOutput> {
  const { output } = await generateChat(lm, { task });
  if (output.kind !== 'chat') throw new Error('not chat');
  return output;
}

async function judge(task: ChatTaskSpec, claim: ChatOutput): Promise<{ verdict: string; reason: string }> {
  const evidence = await scoreChat(lm, { task, tokenIds: claim.tokenIds });
  return judgeClaim(task, claim, evidence);
}

let lm: CausalLm;
beforeAll(async () => {
  lm = await loadLocalCausalLm(TINY_GPT2_ID);
});

describe('scoreChat: one forward pass over prompt + claimed tokens', () => {
  it('finds every greedy token to be the top choice, and end-of-sequence where generation ended', async () => {
    const task = chat();
    const claim = await generated(task);
    const evidence = await scoreChat(lm, { task, tokenIds: claim.tokenIds });
    expect(evidence.scores).toHaveLength(claim.tokenIds.length);
    expect(evidence.scores.every((score) => score.rank === 0 && score.chosenLogit === score.maxLogit && score.logProb === 0)).toBe(true);
    expect(evidence.endScore?.rank).toBe(0);
    expect(evidence.decodedText).toBe(claim.text);
    expect(evidence.promptTokens).toBe(promptTokenIds(lm, task.messages).length);
    expect(judgeClaim(task, claim, evidence)).toEqual({ verdict: 'valid', reason: 'matches the guard' });
  });

  it('reads row promptLength − 1 + i for token i (the logits cover every position, not just the last)', async () => {
    const task = chat();
    const claim = await generated(task);
    const full = await scoreChat(lm, { task, tokenIds: claim.tokenIds });
    // The end score of a k-token prefix comes from the row that predicts token k of the full claim.
    for (const k of [0, 1, 5, claim.tokenIds.length - 1]) {
      const prefix = await scoreChat(lm, { task, tokenIds: claim.tokenIds.slice(0, k) });
      expect(prefix.scores.map((score) => score.rank)).toEqual(full.scores.slice(0, k).map((score) => score.rank));
      prefix.scores.forEach((score, i) => expect(score.chosenLogit).toBeCloseTo(full.scores[i]?.chosenLogit ?? Number.NaN, 4));
      expect(prefix.endScore?.maxLogit).toBeCloseTo(full.scores[k]?.maxLogit ?? Number.NaN, 4);
    }
  });

  it('accepts honest answers cut by the token budget or by a stop sequence', async () => {
    for (const task of [chat({ maxTokens: 7 }), chat({ stop: [' network'] }), chat({ stop: ['AI', ' web'] })]) {
      expect(await judge(task, await generated(task))).toMatchObject({ verdict: 'valid' });
    }
  });

  it('accepts a sampled answer and gives each token its log probability under the temperature', async () => {
    const task = chat({ temperature: 0.8, seed: 7, maxTokens: 30 });
    const claim = await generated(task);
    const evidence = await scoreChat(lm, { task, tokenIds: claim.tokenIds });
    expect(evidence.scores.every((score) => score.logProb <= 0 && score.logProb > Math.log(1e-4))).toBe(true);
    expect(judgeClaim(task, claim, evidence).verdict).toBe('valid');
  });

  it('catches a swapped token', async () => {
    const task = chat();
    const honest = await generated(task);
    const tokenIds = [...honest.tokenIds];
    tokenIds[3] = (tokenIds[3] ?? 0) === 120 ? 121 : 120;
    const claim: ChatOutput = { ...honest, tokenIds, text: decodeGenerated(lm, tokenIds) };
    expect(await judge(task, claim)).toMatchObject({ verdict: 'invalid', reason: expect.stringContaining('token 3') });
  });

  it('catches an answer cut short and passed off as finished', async () => {
    const task = chat();
    const honest = await generated(task);
    const tokenIds = honest.tokenIds.slice(0, 6);
    const claim: ChatOutput = { kind: 'chat', tokenIds, text: decodeGenerated(lm, tokenIds), finishReason: 'stop' };
    expect(await judge(task, claim)).toMatchObject({ verdict: 'invalid', reason: expect.stringContaining('stopped early') });
  });

  it('catches text that is not the decoding of the tokens', async () => {
    const task = chat();
    const honest = await generated(task);
    expect(await judge(task, { ...honest, text: ' is a paid network.' })).toMatchObject({ verdict: 'invalid' });
  });

  it('refuses claims no tab could have generated before running the model', async () => {
    const task = chat();
    await expect(scoreChat(lm, { task, tokenIds: [1, 2, 99_999] })).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('vocabulary'),
    });
    await expect(scoreChat(lm, { task, tokenIds: Array.from({ length: 128 }, () => 1) })).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('context'),
    });
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(scoreChat(lm, { task: chat(), tokenIds: [1], signal: controller.signal })).rejects.toMatchObject({
      code: 'task_cancelled',
    });
  });
});
