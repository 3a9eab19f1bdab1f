import { TINY_GPT2_ID, newTaskId } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';

/** A greedy chat task on the tiny GPT-2, as the coordinator assigns it. */
export function chatAssign(maxTokens = 16): TaskAssign {
  return {
    taskId: newTaskId(),
    leaseMs: 30_000,
    attempt: 1,
    task: {
      kind: 'chat',
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: 'Tessera' }],
      params: { maxTokens, temperature: 0, topP: 1, seed: null, stop: [] },
    },
  };
}
