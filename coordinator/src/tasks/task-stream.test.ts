import { describe, expect, it } from 'vitest';
import { TaskStream } from './task-stream.ts';

describe('TaskStream', () => {
  it('forwards each chunk of a first attempt as it comes and counts sequence numbers', () => {
    const stream = new TaskStream();
    expect(stream.append('Tessera', false)).toBe('Tessera');
    expect(stream.append(' is', false)).toBe(' is');
    expect(stream.nextSeq).toBe(2);
  });

  it('does not repeat to callers the text a retried attempt produces again', () => {
    const stream = new TaskStream();
    stream.append('Tessera is', false);
    stream.restartAttempt();
    expect(stream.nextSeq).toBe(0);
    expect(stream.append('Tess', false)).toBe('');
    expect(stream.append('era is a', false)).toBe(' a');
    expect(stream.append(' network', false)).toBe(' network');
  });

  it('stops forwarding for good once a retry departs from the text already sent', () => {
    const stream = new TaskStream();
    stream.append('Tessera is', false);
    stream.restartAttempt();
    expect(stream.append('Tesla', false)).toBe('');
    expect(stream.append(' is a car', false)).toBe('');
  });

  it('holds everything back while the result is to be checked', () => {
    const stream = new TaskStream();
    expect(stream.append('secret', true)).toBe('');
    stream.restartAttempt();
    expect(stream.append('secret', false)).toBe('secret');
  });
});
