import { describe, expect, it } from 'vitest';
import { GeneratedTextStream, findStop, pendingStopPrefixLength } from './generated-text-stream.ts';

function streamAll(stream: GeneratedTextStream, steps: readonly string[]): string[] {
  const deltas: string[] = [];
  for (const decoded of steps) {
    const { delta, stopped } = stream.push(decoded);
    if (delta) deltas.push(delta);
    if (stopped) return deltas;
  }
  const last = steps.at(-1) ?? '';
  const { delta } = stream.finish(last);
  if (delta) deltas.push(delta);
  return deltas;
}

describe('findStop', () => {
  it('finds the earliest of several stop sequences', () => {
    expect(findStop('abc END xyz STOP', ['STOP', 'END'])).toBe(4);
    expect(findStop('nothing here', ['END'])).toBeNull();
  });
});

describe('pendingStopPrefixLength', () => {
  it('measures the longest tail that could still become a stop sequence', () => {
    expect(pendingStopPrefixLength('hello EN', ['END'])).toBe(2);
    expect(pendingStopPrefixLength('hello E', ['END', 'Eve'])).toBe(1);
    expect(pendingStopPrefixLength('hello', ['END'])).toBe(0);
    expect(pendingStopPrefixLength('', ['END'])).toBe(0);
  });
});

describe('GeneratedTextStream', () => {
  it('streams every character when there are no stop sequences', () => {
    const stream = new GeneratedTextStream([]);
    expect(streamAll(stream, ['He', 'Hello', 'Hello world'])).toEqual(['He', 'llo', ' world']);
    expect(stream.text).toBe('Hello world');
    expect(stream.stopped).toBe(false);
  });

  it('holds back a possible stop prefix and drops the stop sequence itself', () => {
    const stream = new GeneratedTextStream(['\n\n']);
    expect(stream.push('Hi')).toEqual({ delta: 'Hi', stopped: false });
    expect(stream.push('Hi\n')).toEqual({ delta: '', stopped: false });
    expect(stream.push('Hi\n\nmore')).toEqual({ delta: '', stopped: true });
    expect(stream.text).toBe('Hi');
  });

  it('releases a held-back prefix that did not become a stop sequence', () => {
    const stream = new GeneratedTextStream(['END']);
    expect(stream.push('a E').delta).toBe('a ');
    expect(stream.push('a EN').delta).toBe('');
    expect(stream.push('a ENx').delta).toBe('ENx');
  });

  it('flushes held-back text when generation ends without the stop sequence', () => {
    const stream = new GeneratedTextStream(['END']);
    expect(streamAll(stream, ['a', 'a EN'])).toEqual(['a', ' ', 'EN']);
    expect(stream.text).toBe('a EN');
  });

  it('waits for the rest of a multi-byte character', () => {
    const stream = new GeneratedTextStream([]);
    expect(stream.push('x\uFFFD').delta).toBe('x');
    expect(stream.push('x\u00e9').delta).toBe('\u00e9');
  });

  it('keeps the concatenation of deltas equal to the text, even if earlier text is rewritten', () => {
    const stream = new GeneratedTextStream([]);
    const deltas = streamAll(stream, ['a ,', 'a, b', 'a, bc']);
    expect(deltas.join('')).toBe(stream.text);
  });

  it('holds back a trailing space the next token could clean up, so deltas stay a prefix of the final decoding', () => {
    const stream = new GeneratedTextStream([]);
    expect(stream.push('Hello ').delta).toBe('Hello');
    // transformers.js decodes "Hello " + "," as "Hello," when clean_up_tokenization_spaces is on.
    expect(stream.push('Hello,').delta).toBe(',');
    expect(stream.push('Hello, do n').delta).toBe(' do');
    expect(stream.push("Hello, don't").delta).toBe("n't");
    expect(stream.finish("Hello, don't ").delta).toBe(' ');
    expect(stream.text).toBe("Hello, don't ");
  });

  it('ignores input after it stopped', () => {
    const stream = new GeneratedTextStream(['.']);
    stream.push('one.');
    expect(stream.push('one. two')).toEqual({ delta: '', stopped: true });
    expect(stream.finish('one. two')).toEqual({ delta: '', stopped: true });
    expect(stream.text).toBe('one');
  });
});
