import { auditChatWork, auditEmbeddingWork, decodeGenerated, findModel, promptTokenIds } from '@tessera/shared';
import { auditAnswerFormat } from './answer-format-audit.ts';
import type { ChatTaskSpec, ModelCatalogEntry, TaskOutput, TaskSpec, WorkAudit, WorkTokenizer } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';

export interface WorkCounterOptions {
  catalog: readonly ModelCatalogEntry[];
  load: (model: ModelCatalogEntry) => Promise<WorkTokenizer>;
  logger: FastifyBaseLogger;
  /** After a failed load, how long the model is refused before loading is tried again. */
  retryAfterMs?: number;
  now?: () => number;
}

/** A count, or the coordinator could not count at all (no fault of the tab's). */
export type CountOutcome = WorkAudit | { ok: false; uncountable: string };

/** A prompt's tokens, or why the model's cannot be counted now. */
export type PromptCount = { ok: true; tokens: number } | { ok: false; uncountable: string };

/**
 * The coordinator counts the work in every result itself, with each model's tokenizer: the usage
 * returned to callers, credited and metered is its count, never the tab's. Tokenizers load on first
 * need (a task for the model), one at a time: transformers.js keeps its file settings in one global.
 * A model whose tokenizer cannot be loaded is one whose work cannot be counted, so it is not served.
 */
export class WorkCounter {
  readonly #options: WorkCounterOptions;
  readonly #now: () => number;
  readonly #tokenizers = new Map<string, Promise<WorkTokenizer>>();
  readonly #failures = new Map<string, { reason: string; at: number }>();
  #loading: Promise<unknown> = Promise.resolve();

  constructor(options: WorkCounterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Why the model's work cannot be counted now (its tokenizer did not load), or undefined; starts loading it. */
  uncountable(modelId: string): string | undefined {
    const model = findModel(this.#options.catalog, modelId);
    if (model === undefined) return `${modelId} is not in the catalog`;
    const failure = this.#failures.get(modelId);
    if (failure !== undefined && this.#now() - failure.at < (this.#options.retryAfterMs ?? 60_000)) {
      return `its tokenizer did not load (${failure.reason})`;
    }
    void this.#tokenizer(model).catch(() => undefined);
    return undefined;
  }

  async count(spec: TaskSpec, output: TaskOutput): Promise<CountOutcome> {
    const model = findModel(this.#options.catalog, spec.model);
    if (model === undefined) return { ok: false, uncountable: `${spec.model} is not in the catalog` };
    let tokenizer: WorkTokenizer;
    try {
      tokenizer = await this.#tokenizer(model);
    } catch (error) {
      return { ok: false, uncountable: `its tokenizer did not load (${error instanceof Error ? error.message : String(error)})` };
    }
    if (spec.kind === 'chat' && output.kind === 'chat') {
      const audit = auditChatWork(spec, output, tokenizer, model);
      if (!audit.ok) return audit;
      // Cut by a stop sequence: the text is shorter than its tokens' decoding, and cannot be a whole answer.
      const cut = output.tokenIds.length > 0 && decodeGenerated(tokenizer, output.tokenIds) !== output.text;
      const format = auditAnswerFormat(spec, output, cut);
      return format === null ? audit : { ok: false, reason: format };
    }
    if (spec.kind === 'embeddings' && output.kind === 'embeddings') return auditEmbeddingWork(spec, output, tokenizer);
    return { ok: false, reason: `a ${output.kind} result for a ${spec.kind} task` };
  }

  /**
   * The tokens of a chat task's prompt, built and counted as its result's `promptTokens` will be
   * (`promptTokenIds`, as `auditChatWork`), before any tab runs it: Anthropic's `count_tokens`.
   */
  async promptTokens(spec: Pick<ChatTaskSpec, 'model' | 'messages' | 'tools'>): Promise<PromptCount> {
    const model = findModel(this.#options.catalog, spec.model);
    if (model === undefined) return { ok: false, uncountable: `${spec.model} is not in the catalog` };
    // A tokenizer that just failed is not fetched again for every count, as for every task.
    const recent = this.uncountable(model.id);
    if (recent !== undefined) return { ok: false, uncountable: recent };
    let tokenizer: WorkTokenizer;
    try {
      tokenizer = await this.#tokenizer(model);
    } catch (error) {
      return { ok: false, uncountable: `its tokenizer did not load (${error instanceof Error ? error.message : String(error)})` };
    }
    return { ok: true, tokens: promptTokenIds(tokenizer, model.promptFormat, spec.messages, spec.tools).length };
  }

  /**
   * Each token's text as the model's tokenizer decodes it alone, special tokens included (log probabilities
   * name tokens by text); null when the model is unknown or its tokenizer cannot be loaded now.
   */
  async tokenText(modelId: string): Promise<((tokenId: number) => string) | null> {
    const model = findModel(this.#options.catalog, modelId);
    if (model === undefined) return null;
    try {
      const tokenizer = await this.#tokenizer(model);
      return (tokenId) => tokenizer.decode([tokenId], { skip_special_tokens: false });
    } catch {
      return null;
    }
  }

  /** The text a tab's answer of `tokenIds` decodes to (`decodeGenerated`); null when the tokenizer cannot be loaded now. */
  async decode(modelId: string, tokenIds: readonly number[]): Promise<string | null> {
    const model = findModel(this.#options.catalog, modelId);
    if (model === undefined) return null;
    try {
      return decodeGenerated(await this.#tokenizer(model), tokenIds);
    } catch {
      return null;
    }
  }

  #tokenizer(model: ModelCatalogEntry): Promise<WorkTokenizer> {
    const known = this.#tokenizers.get(model.id);
    if (known !== undefined && !this.#failures.has(model.id)) return known;
    this.#failures.delete(model.id);
    const loading = this.#loading.then(() => this.#options.load(model));
    this.#loading = loading.catch(() => undefined);
    loading.catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      this.#failures.set(model.id, { reason, at: this.#now() });
      this.#options.logger.warn(
        { model: model.id },
        `cannot count the work of ${model.id}, so it is not served: its tokenizer did not load (${reason})`,
      );
    });
    this.#tokenizers.set(model.id, loading);
    return loading;
  }
}
