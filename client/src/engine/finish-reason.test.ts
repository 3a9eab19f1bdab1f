import { describe, expect, it } from 'vitest';
import { finishReason } from './finish-reason.ts';

describe('finishReason', () => {
  it('is length when the budget ran out mid-answer', () => {
    expect(finishReason({ generatedTokens: 40, maxNewTokens: 40, stoppedBySequence: false, endedWithEos: false })).toBe('length');
  });
  it('is stop when the model ended, even on the last budgeted token', () => {
    expect(finishReason({ generatedTokens: 40, maxNewTokens: 40, stoppedBySequence: false, endedWithEos: true })).toBe('stop');
    expect(finishReason({ generatedTokens: 12, maxNewTokens: 40, stoppedBySequence: false, endedWithEos: true })).toBe('stop');
  });
  it('is stop when a stop sequence matched', () => {
    expect(finishReason({ generatedTokens: 40, maxNewTokens: 40, stoppedBySequence: true, endedWithEos: false })).toBe('stop');
  });
});
