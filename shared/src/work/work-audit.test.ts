import { describe, expect, it } from 'vitest';
import type { ChatTaskSpec } from '../task.ts';
import { auditChatWork, auditEmbeddingWork } from './work-audit.ts';
import type { WorkTokenizer } from './work-tokenizer.ts';

/** One token per character, id = char code; 0 is a special token decoded to nothing. */
const chars: WorkTokenizer = {
  encode: (text) => [...text].map((char) => char.charCodeAt(0)),
  decode: (ids, { skip_special_tokens }) =>
    ids
      .filter((id) => !(skip_special_tokens && id === 0))
      .map((id) => String.fromCharCode(id))
      .join(''),
  apply_chat_template: (messages) => messages.map((message) => `<${message.role}>${message.content}`).join('') + '<assistant>',
};
const ids = (text: string) => chars.encode(text);
const spec = (maxTokens = 8, stop: string[] = []): ChatTaskSpec => ({
  kind: 'chat',
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  params: { maxTokens, temperature: 0, topP: 1, seed: null, stop },
});
const plain = { promptFormat: 'plain', contextLength: 100, engine: 'transformers' } as const;

describe('auditChatWork', () => {
  it("counts prompt and completion tokens itself, whatever the result's usage said", () => {
    expect(auditChatWork(spec(), { kind: 'chat', text: 'abc', finishReason: 'stop', tokenIds: ids('abc') }, chars, plain)).toEqual({
      ok: true,
      usage: { promptTokens: 2, completionTokens: 3 },
    });
    const templated = auditChatWork(spec(), { kind: 'chat', text: 'a', finishReason: 'stop', tokenIds: ids('a') }, chars, {
      ...plain,
      promptFormat: 'chat-template',
    });
    expect(templated).toEqual({ ok: true, usage: { promptTokens: '<user>hi<assistant>'.length, completionTokens: 1 } });
  });

  it.each([
    ['text that its tokens do not decode to', { text: 'xyz', tokenIds: ids('abc') }, 'not the decoding'],
    ['text cut short without a stop sequence', { text: 'ab', tokenIds: ids('abc') }, 'cut short'],
    ['more tokens than max_tokens', { text: 'abcdefghij', tokenIds: ids('abcdefghij') }, 'exceed max_tokens'],
    ['finish_reason length short of the limit', { text: 'abc', tokenIds: ids('abc'), finishReason: 'length' as const }, 'finish_reason'],
    ['text without token ids', { text: 'abc', tokenIds: [] }, 'no token ids'],
  ])('refuses %s', (_name, claim, reason) => {
    const outcome = auditChatWork(spec(), { kind: 'chat', finishReason: 'stop', ...claim }, chars, plain);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toContain(reason);
  });

  it('accepts text cut at a stop sequence, a full-length answer, and a filled context', () => {
    expect(auditChatWork(spec(8, ['c']), { kind: 'chat', text: 'ab', finishReason: 'stop', tokenIds: ids('abc') }, chars, plain).ok).toBe(
      true,
    );
    expect(auditChatWork(spec(3), { kind: 'chat', text: 'abc', finishReason: 'length', tokenIds: ids('abc') }, chars, plain).ok).toBe(true);
    const tight = { ...plain, contextLength: 4 };
    expect(auditChatWork(spec(8), { kind: 'chat', text: 'ab', finishReason: 'length', tokenIds: ids('ab') }, chars, tight).ok).toBe(true);
  });

  it('counts an engine that reports no token ids (web-llm) by encoding its text', () => {
    const webLlm = { ...plain, engine: 'web-llm' } as const;
    expect(auditChatWork(spec(), { kind: 'chat', text: 'abcd', finishReason: 'stop', tokenIds: [] }, chars, webLlm)).toEqual({
      ok: true,
      usage: { promptTokens: 2, completionTokens: 4 },
    });
    expect(auditChatWork(spec(3), { kind: 'chat', text: 'abcd', finishReason: 'stop', tokenIds: [] }, chars, webLlm).ok).toBe(false);
  });
});

describe('auditEmbeddingWork', () => {
  it('counts the inputs sent and their tokens, and refuses a vector count that does not match', () => {
    const task = { kind: 'embeddings', model: 'm', texts: ['ab', 'cde'] } as const;
    expect(auditEmbeddingWork({ ...task, texts: [...task.texts] }, { kind: 'embeddings', vectors: [[1], [1]] }, chars)).toEqual({
      ok: true,
      usage: { promptTokens: 5, completionTokens: 0 },
    });
    expect(auditEmbeddingWork({ ...task, texts: [...task.texts] }, { kind: 'embeddings', vectors: [[1]] }, chars).ok).toBe(false);
  });
});
