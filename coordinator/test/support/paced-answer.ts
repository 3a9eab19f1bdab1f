import type { TaskAssign } from '@tessera/shared';
import type { ScriptedTab } from './scripted-tab.ts';
import { chatOutput } from './tiny-tokens.ts';

/**
 * Answers a chat task with `text` the way a tab decoding at a steady pace would: accept, take
 * `msPerToken` per token, stream the words, then send the signed result. The coordinator times results
 * with its own clock, so a tab's speed is what it does, not what it says: an answer sent at once would
 * look like a change of speed to `BehaviourWatch`.
 */
export async function answerPaced(assign: TaskAssign, tab: ScriptedTab, text: string, msPerToken = 1): Promise<void> {
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  const output = chatOutput(text);
  await new Promise((resolve) => setTimeout(resolve, output.tokenIds.length * msPerToken));
  output.text.split(/(?<= )/).forEach((delta, seq) => tab.socket.emit('task:chunk', { taskId: assign.taskId, seq, delta }));
  tab.sendResult(assign.taskId, output, { promptTokens: 3, completionTokens: output.tokenIds.length });
}
