import { assertNever } from '../assert-never.ts';
import { formatPlainPrompt } from '../chat-prompt.ts';
import type { ModelCatalogEntry } from '../model-catalog.ts';
import type { TaskMessage } from '../task.ts';

/**
 * The part of a transformers.js tokenizer (`PreTrainedTokenizer`) that building prompts and counting work
 * need. The tab's engine, the guard and the coordinator each pass their own, loaded from the same files,
 * so all three build the same prompt and decode the same text.
 */
export interface WorkTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(tokenIds: number[], options: { skip_special_tokens: boolean }): string;
  apply_chat_template(messages: { role: string; content: string }[], options: { tokenize: false; add_generation_prompt: true }): unknown;
}

/** The chat roles templates know: `developer` is OpenAI's newer name for `system`. */
function templateMessages(messages: readonly TaskMessage[]): { role: string; content: string }[] {
  return messages.map((message) => ({ role: message.role === 'developer' ? 'system' : message.role, content: message.content }));
}

/**
 * The prompt's token ids: `promptFormat: 'plain'` → `formatPlainPrompt`, encoded with the tokenizer's
 * special tokens; `'chat-template'` → the tokenizer's chat template with the generation prompt, encoded
 * without adding special tokens again (the template already wrote any BOS token).
 */
export function promptTokenIds(
  tokenizer: WorkTokenizer,
  format: ModelCatalogEntry['promptFormat'],
  messages: readonly TaskMessage[],
): number[] {
  switch (format) {
    case 'plain':
      return tokenizer.encode(formatPlainPrompt(messages));
    case 'chat-template': {
      const prompt = tokenizer.apply_chat_template(templateMessages(messages), { tokenize: false, add_generation_prompt: true });
      if (typeof prompt !== 'string') throw new TypeError('the chat template did not render to text');
      return tokenizer.encode(prompt, { add_special_tokens: false });
    }
    default:
      return assertNever(format, 'prompt format');
  }
}

/** The text generated tokens decode to, special tokens left out. */
export function decodeGenerated(tokenizer: WorkTokenizer, tokenIds: readonly number[]): string {
  return tokenIds.length === 0 ? '' : tokenizer.decode([...tokenIds], { skip_special_tokens: true });
}
