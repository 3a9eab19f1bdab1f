import { LogitsProcessor, Tensor } from '@huggingface/transformers';
import type { TokenLogprob } from '@tessera/shared';
import { shapeRow, TokenCounts, type LogitsShaping } from './logits-shaping.ts';
import { nucleusFilter } from './nucleus-filter.ts';
import type { TokenConstraint } from './token-constraint.ts';
import { RowLogprobs } from './token-logprobs.ts';

export interface DecodingStepOptions {
  shaping: LogitsShaping | null;
  constraint: TokenConstraint | null;
  /** Alternatives per token when log probabilities are asked for; null: none. */
  topLogprobs: number | null;
  /** 0: greedy (the row is left at temperature 1; greedy takes its best entry). */
  temperature: number;
  topP: number;
}

/**
 * Everything a task does to one row of logits before transformers.js picks a token, in the order guards
 * replay it (chat-scoring.ts): shaping (bias, penalties), the grammar mask, log probabilities of the result
 * at temperature 1, then temperature and nucleus filtering for sampling. `chose` must be told each chosen
 * token (the streamer's token callback) so penalties, the grammar and log probabilities stay in step.
 */
export class DecodingStep extends LogitsProcessor {
  readonly options: DecodingStepOptions;
  readonly #counts = new TokenCounts();
  #rowLogprobs: RowLogprobs | null = null;
  readonly logprobs: TokenLogprob[] = [];

  constructor(options: DecodingStepOptions) {
    super();
    this.options = options;
  }

  /** Whether the step changes anything transformers.js would not do on its own. */
  static needed(options: DecodingStepOptions): boolean {
    return options.shaping !== null || options.constraint !== null || options.topLogprobs !== null || options.temperature > 0;
  }

  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const row = logits.data;
    if (!(row instanceof Float32Array)) return logits;
    const { shaping, constraint, topLogprobs, temperature, topP } = this.options;
    if (shaping !== null) shapeRow(row, shaping, this.#counts);
    constraint?.maskRow(row);
    // The row is only read until `chose`, which comes before the next call.
    this.#rowLogprobs = topLogprobs === null ? null : new RowLogprobs(row);
    if (temperature > 0 && temperature !== 1) for (let id = 0; id < row.length; id++) row[id] = (row[id] ?? 0) / temperature;
    if (temperature > 0 && topP < 1) nucleusFilter(row, row.length, topP);
    return logits;
  }

  /** The token transformers.js chose from the last row. */
  chose(tokenId: number): void {
    const { constraint, topLogprobs } = this.options;
    if (this.#rowLogprobs !== null && topLogprobs !== null) this.logprobs.push(this.#rowLogprobs.entry(tokenId, topLogprobs));
    this.#rowLogprobs = null;
    this.#counts.add(tokenId);
    if (constraint !== null && !constraint.accept(tokenId)) {
      // Cannot happen with the mask applied; a broken grammar engine must fail the run, not return bad JSON.
      throw new Error(`the grammar rejected token ${tokenId} it allowed`);
    }
  }
}
