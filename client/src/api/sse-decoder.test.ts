import { describe, expect, it } from 'vitest';
import { SseDecoder } from './sse-decoder.ts';

describe('SseDecoder', () => {
  it('returns the data of each complete event', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: {"a":1}\n\ndata: [DONE]\n\n')).toEqual(['{"a":1}', '[DONE]']);
  });

  it('handles events split across reads at any point', () => {
    const decoder = new SseDecoder();
    const stream = 'data: {"x":"hello"}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n';
    const events: string[] = [];
    for (const char of stream) events.push(...decoder.push(char));
    events.push(...decoder.end());
    expect(events).toEqual(['{"x":"hello"}', '[DONE]']);
  });

  it('joins multi-line data and ignores other fields', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('event: message\nid: 7\ndata: a\ndata:b\n\n')).toEqual(['a\nb']);
  });

  it('flushes a final event without its blank line at the end', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: last')).toEqual([]);
    expect(decoder.end()).toEqual(['last']);
  });
});
