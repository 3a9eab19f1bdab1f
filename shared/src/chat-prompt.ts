import type { TaskMessage } from './task.ts';

/**
 * The prompt for models without a chat template (`promptFormat: 'plain'`): message contents joined by
 * newlines. Shared so that a tab, a guard and a Node reference build byte-identical prompts.
 */
export function formatPlainPrompt(messages: readonly TaskMessage[]): string {
  return messages.map((message) => message.content).join('\n');
}
