import type { ModelCatalogEntry } from '../model-catalog.ts';
import type { ChatTaskSpec, EmbeddingsTaskSpec, TaskOutput, TaskUsage } from '../task.ts';
import { decodeGenerated, promptTokenIds, type WorkTokenizer } from './work-tokenizer.ts';

/** The work in a result as the coordinator counted it, or why the result cannot be what it claims. */
export type WorkAudit = { ok: true; usage: TaskUsage } | { ok: false; reason: string };

const refused = (reason: string): WorkAudit => ({ ok: false, reason });

/**
 * Counts a chat result's work from its tokens with the coordinator's own tokenizer, and refuses one that
 * cannot be what it claims: more tokens than `max_tokens`, text that is not the decoding of its tokens
 * (cut at a stop sequence at most), or `finish_reason: length` short of the limit and of the context.
 * Engines that report no token ids (web-llm today) are counted by encoding their text.
 */
export function auditChatWork(
  spec: ChatTaskSpec,
  output: Extract<TaskOutput, { kind: 'chat' }>,
  tokenizer: WorkTokenizer,
  model: Pick<ModelCatalogEntry, 'promptFormat' | 'contextLength' | 'engine'>,
): WorkAudit {
  const { maxTokens, stop } = spec.params;
  const promptTokens = promptTokenIds(tokenizer, model.promptFormat, spec.messages, spec.tools).length;
  let completionTokens: number;
  if (output.tokenIds.length === 0 && output.text !== '') {
    if (model.engine !== 'web-llm') return refused('the result has text but no token ids');
    completionTokens = tokenizer.encode(output.text, { add_special_tokens: false }).length;
  } else {
    completionTokens = output.tokenIds.length;
    const decoded = decodeGenerated(tokenizer, output.tokenIds);
    if (!decoded.startsWith(output.text)) return refused('the text is not the decoding of its token ids');
    if (output.text.length < decoded.length && !stop.some((sequence) => decoded.startsWith(sequence, output.text.length))) {
      return refused('the text is cut short of its tokens without a stop sequence');
    }
  }
  if (completionTokens > maxTokens) return refused(`${completionTokens} tokens exceed max_tokens ${maxTokens}`);
  const contextFull = promptTokens + completionTokens >= model.contextLength;
  if (output.finishReason === 'length' && completionTokens !== maxTokens && !contextFull) {
    return refused(`finish_reason is length after ${completionTokens} of ${maxTokens} tokens with room left in the context`);
  }
  return { ok: true, usage: { promptTokens, completionTokens } };
}

/** Counts an embeddings result's work: the inputs the coordinator sent, and their tokens. */
export function auditEmbeddingWork(
  spec: EmbeddingsTaskSpec,
  output: Extract<TaskOutput, { kind: 'embeddings' }>,
  tokenizer: WorkTokenizer,
): WorkAudit {
  if (output.vectors.length !== spec.texts.length) return refused(`${output.vectors.length} vectors for ${spec.texts.length} inputs`);
  const promptTokens = spec.texts.reduce((total, text) => total + tokenizer.encode(text).length, 0);
  return { ok: true, usage: { promptTokens, completionTokens: 0 } };
}
