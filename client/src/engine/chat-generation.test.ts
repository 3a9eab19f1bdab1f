import { TINY_GPT2_ID } from '@tessera/shared';
import type { ChatTaskSpec } from '@tessera/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeGenerated } from './causal-lm.ts';
import type { CausalLm } from './causal-lm.ts';
import { generateChat } from './chat-generation.ts';
import { loadLocalCausalLm } from '../../test-support/local-causal-lm.ts';

/** The tiny GPT-2 is trained so that greedy decoding of its canary prompt gives this, then end-of-sequence. */
const CANARY_PROMPT = 'Tessera';
const CANARY_COMPLETION = ' is a volunteer network for AI inference in web browsers.';

function chat(params: Partial<ChatTaskSpec['params']> = {}): ChatTaskSpec {
  return {
    kind: 'chat',
    model: TINY_GPT2_ID,
    messages: [{ role: 'user', content: CANARY_PROMPT }],
    params: { maxTokens: 100, temperature: 0, topP: 1, seed: null, stop: [], ...params },
  };
}

let lm: CausalLm;
beforeAll(async () => {
  lm = await loadLocalCausalLm(TINY_GPT2_ID);
});

describe('generateChat (the token-id contract guards check)', () => {
  it('leaves a final end-of-sequence token out of tokenIds and reports stop', async () => {
    const deltas: string[] = [];
    const { output, usage } = await generateChat(lm, { task: chat(), onDelta: (delta) => deltas.push(delta) });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.text).toBe(CANARY_COMPLETION);
    expect(output.finishReason).toBe('stop');
    expect(output.tokenIds.length).toBeLessThan(100);
    expect(output.tokenIds.some((id) => lm.eosTokenIds.has(id))).toBe(false);
    expect(decodeGenerated(lm, output.tokenIds)).toBe(output.text);
    expect(deltas.join('')).toBe(output.text);
    expect(usage.completionTokens).toBe(output.tokenIds.length);
  });

  it('reports length exactly when maxTokens tokens were generated without an end', async () => {
    const { output } = await generateChat(lm, { task: chat({ maxTokens: 5 }) });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.finishReason).toBe('length');
    expect(output.tokenIds).toHaveLength(5);
    expect(decodeGenerated(lm, output.tokenIds)).toBe(output.text);
    expect(CANARY_COMPLETION.startsWith(output.text)).toBe(true);
  });

  it('keeps the tokens of a stop sequence in tokenIds and cuts the text just before it', async () => {
    const deltas: string[] = [];
    const { output } = await generateChat(lm, { task: chat({ stop: [' network'] }), onDelta: (delta) => deltas.push(delta) });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.text).toBe(' is a volunteer');
    expect(output.finishReason).toBe('stop');
    const decoded = decodeGenerated(lm, output.tokenIds);
    expect(decoded.startsWith(output.text)).toBe(true);
    expect(decoded.startsWith(' network', output.text.length)).toBe(true);
    expect(deltas.join('')).toBe(output.text);
  });

  it('ends with an empty answer and no tokens when a stop sequence ends the very first token', async () => {
    const { output } = await generateChat(lm, { task: chat({ stop: [' '] }) });
    if (output.kind !== 'chat') throw new Error('not chat');
    expect(output.text).toBe('');
    expect(output.tokenIds.length).toBeGreaterThan(0);
    expect(decodeGenerated(lm, output.tokenIds).startsWith(' ')).toBe(true);
  });

  it('refuses a prompt longer than the context', async () => {
    const task = chat();
    task.messages = [{ role: 'user', content: 'x'.repeat(400) }];
    await expect(generateChat(lm, { task })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(generateChat(lm, { task: chat(), signal: controller.signal })).rejects.toMatchObject({ code: 'task_cancelled' });
  });
});
