import type { PreTrainedTokenizer, TextGenerationPipeline } from '@huggingface/transformers';
import { assertNever, formatPlainPrompt } from '@tessera/shared';
import type { ModelCatalogEntry, TaskMessage } from '@tessera/shared';

/**
 * A loaded transformers.js text-generation model, as both generation (workers) and one-pass scoring
 * (guards) use it. The two must build prompts and decode tokens identically, so both go through the
 * functions here.
 */
export interface CausalLm {
  entry: ModelCatalogEntry;
  pipe: TextGenerationPipeline;
  /** Every id that ends a sequence (`endOfSequenceIds`). */
  eosTokenIds: ReadonlySet<number>;
}

export function causalLm(entry: ModelCatalogEntry, pipe: TextGenerationPipeline): CausalLm {
  return { entry, pipe, eosTokenIds: endOfSequenceIds(pipe) };
}

/** The chat roles templates know: `developer` is OpenAI's newer name for `system`. */
function templateMessages(messages: readonly TaskMessage[]): { role: string; content: string }[] {
  return messages.map((message) => ({ role: message.role === 'developer' ? 'system' : message.role, content: message.content }));
}

/**
 * The prompt's token ids: `promptFormat: 'plain'` → shared `formatPlainPrompt`, encoded with the
 * tokenizer's special tokens; `'chat-template'` → the tokenizer's chat template with the generation
 * prompt, encoded without adding special tokens again.
 */
export function promptTokenIds(lm: CausalLm, messages: readonly TaskMessage[]): number[] {
  const tokenizer: PreTrainedTokenizer = lm.pipe.tokenizer;
  const format = lm.entry.promptFormat;
  switch (format) {
    case 'plain':
      return tokenizer.encode(formatPlainPrompt(messages));
    case 'chat-template': {
      const prompt = tokenizer.apply_chat_template(templateMessages(messages), { tokenize: false, add_generation_prompt: true });
      // The template already wrote any BOS token; adding special tokens again would double it.
      return tokenizer.encode(prompt, { add_special_tokens: false });
    }
    default:
      return assertNever(format, 'prompt format');
  }
}

/**
 * The text of generated token ids as the answer shows it: special tokens skipped, the tokenizer's own
 * clean-up applied (what transformers.js's `TextStreamer` does). No tokens decode to ''.
 */
export function decodeGenerated(lm: CausalLm, tokenIds: readonly number[]): string {
  return tokenIds.length === 0 ? '' : lm.pipe.tokenizer.decode([...tokenIds], { skip_special_tokens: true });
}

/** The ids that end a sequence: the generation config's, the model config's and the tokenizer's. */
export function endOfSequenceIds(pipe: TextGenerationPipeline): Set<number> {
  const ids = new Set<number>();
  const add = (value: unknown): void => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) ids.add(value);
    else if (Array.isArray(value)) for (const item of value) add(item);
  };
  add(pipe.model.generation_config?.eos_token_id);
  add(Reflect.get(pipe.model.config, 'eos_token_id'));
  add(pipe.tokenizer.eos_token_id);
  return ids;
}

/** The vocabulary size from the model's config, or null when it does not say. */
export function vocabularySize(lm: CausalLm): number | null {
  const size: unknown = Reflect.get(lm.pipe.model.config, 'vocab_size');
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : null;
}
