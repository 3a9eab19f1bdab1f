import type { TaskOutput } from '@tessera/shared';

/** What a tab reports: tool calls are read out of the text by the coordinator. */
type FinishReason = Extract<TaskOutput, { kind: 'chat' }>['finishReason'];

export interface GenerationEnd {
  generatedTokens: number;
  maxNewTokens: number;
  /** A `stop` sequence ended the answer. */
  stoppedBySequence: boolean;
  /** The last generated token is one of the model's end-of-sequence tokens. */
  endedWithEos: boolean;
}

/**
 * OpenAI's meaning: `length` when the token budget cut the answer off, `stop` when the model finished
 * (end-of-sequence) or a stop sequence matched, even on the budget's last token.
 */
export function finishReason(end: GenerationEnd): FinishReason {
  if (end.stoppedBySequence || end.endedWithEos) return 'stop';
  return end.generatedTokens >= end.maxNewTokens ? 'length' : 'stop';
}
