import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema } from './chat-completion.ts';
import { decodeEmbeddingBase64, embeddingRequestSchema, encodeEmbeddingBase64 } from './embedding.ts';

describe('OpenAI request schemas', () => {
  it('accept what the official client sends, including fields Tessera ignores', () => {
    const parsed = chatCompletionRequestSchema.parse({
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: null,
      frequency_penalty: 0,
      logit_bias: {},
    });
    expect(parsed.stream).toBe(true);
  });

  it('refuse wrong types and out-of-range values', () => {
    expect(chatCompletionRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 5 }] }).success).toBe(false);
    expect(chatCompletionRequestSchema.safeParse({ model: 'm', messages: [{ role: 'tool', content: 'x' }] }).success).toBe(false);
    expect(chatCompletionRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }).success).toBe(
      false,
    );
    expect(embeddingRequestSchema.safeParse({ model: 'm', input: [1, 2, 3] }).success).toBe(false);
  });
});

describe('base64 embeddings', () => {
  it('round-trip float32 little-endian like OpenAI', () => {
    const vector = [0.5, -0.25, 1e-7, 3.4028234663852886e38];
    expect(decodeEmbeddingBase64(encodeEmbeddingBase64(vector))).toEqual(vector.map((value) => Math.fround(value)));
    // [1.0] as float32 LE is 00 00 80 3f.
    expect(encodeEmbeddingBase64([1])).toBe('AACAPw==');
  });
});
