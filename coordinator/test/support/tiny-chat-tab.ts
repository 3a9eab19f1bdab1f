import { TINY_CHAT_ID } from '@tessera/shared';
import type { TaskAssign, TaskOutput } from '@tessera/shared';
import { ScriptedTab, canaryAsked, loaded } from './scripted-tab.ts';
import { eventually, type TestApp } from './test-app.ts';
import { tinyChatOutput } from './tiny-chat-tokens.ts';

/** What a scripted tiny-chat tab answers to a task: its text (streamed in pieces), and how it finished. */
export type TinyChatScript = (assign: TaskAssign) => { text: string; finishReason?: Extract<TaskOutput, { kind: 'chat' }>['finishReason'] };

/**
 * A connected tab serving tiny-chat: its known-answer checks answered right with the model's own tokens
 * (ScriptedTab's default answers them with the tiny GPT-2's), every other task as `script` says, streamed
 * in pieces split inside tool-call tags too (a stream must hold a call back however its text arrives).
 */
export async function tinyChatTab(server: TestApp, script: TinyChatScript): Promise<ScriptedTab> {
  const tab = new ScriptedTab({
    url: server.url,
    models: [loaded(TINY_CHAT_ID)],
    passCanary: false,
    onAssign: (assign, self) => {
      self.socket.emit('task:accept', { taskId: assign.taskId });
      const canary = canaryAsked(assign);
      const answer = canary?.kind === 'chat' ? { text: canary.expectedCompletion, finishReason: canary.finishReason } : script(assign);
      const output = tinyChatOutput(answer.text, answer.finishReason);
      output.text.split(/(?<=[ <>])/).forEach((delta, seq) => self.socket.emit('task:chunk', { taskId: assign.taskId, seq, delta }));
      self.sendResult(assign.taskId, output, { promptTokens: 1, completionTokens: output.tokenIds.length });
    },
  });
  await tab.ready();
  await eventually(() => (server.app.tessera.registry.get(tab.nodeId)?.models.size === 1 ? true : undefined), 5000, 'tiny-chat served');
  return tab;
}
