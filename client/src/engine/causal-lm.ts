import type { TextGenerationPipeline } from '@huggingface/transformers';
import { decodeGenerated as sharedDecodeGenerated, promptTokenIds as sharedPromptTokenIds } from '@tessera/shared';
import type { ModelCatalogEntry, TaskMessage, TaskTool } from '@tessera/shared';

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

/**
 * The prompt's token ids, built by the shared `promptTokenIds`: the coordinator counts prompt tokens with
 * the same function and the same tokenizer files, so the tab's prompt is the one it is paid for.
 */
export function promptTokenIds(lm: CausalLm, messages: readonly TaskMessage[], tools?: readonly TaskTool[]): number[] {
  return sharedPromptTokenIds(lm.pipe.tokenizer, lm.entry.promptFormat, messages, tools);
}

/**
 * The text of generated token ids as the answer shows it (the shared `decodeGenerated`: special tokens
 * skipped, the tokenizer's own clean-up applied, as transformers.js's `TextStreamer` does).
 */
export function decodeGenerated(lm: CausalLm, tokenIds: readonly number[]): string {
  return sharedDecodeGenerated(lm.pipe.tokenizer, tokenIds);
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
