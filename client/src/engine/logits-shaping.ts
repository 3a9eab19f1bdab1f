import type { ChatParams } from '@tessera/shared';

/**
 * What a task does to the model's logits before a token is chosen: OpenAI's `logit_bias`, and its frequency
 * and presence penalties counted over the tokens generated so far. Generation and guards apply the same
 * shaping to the same rows (guards then compare the claimed tokens against the shaped rows).
 */
export interface LogitsShaping {
  bias: ReadonlyMap<number, number>;
  frequencyPenalty: number;
  presencePenalty: number;
}

/** The task's shaping, or null when it leaves the logits as they are. */
export function logitsShaping(params: ChatParams): LogitsShaping | null {
  const bias = new Map(Object.entries(params.logitBias ?? {}).map(([id, value]) => [Number(id), value] as const));
  const frequencyPenalty = params.frequencyPenalty ?? 0;
  const presencePenalty = params.presencePenalty ?? 0;
  if (bias.size === 0 && frequencyPenalty === 0 && presencePenalty === 0) return null;
  return { bias, frequencyPenalty, presencePenalty };
}

/** How often each token occurs among generated tokens: the penalties' counts. */
export class TokenCounts {
  readonly #counts = new Map<number, number>();

  add(tokenId: number): void {
    this.#counts.set(tokenId, (this.#counts.get(tokenId) ?? 0) + 1);
  }

  entries(): IterableIterator<[number, number]> {
    return this.#counts.entries();
  }
}

/** Applies the shaping to one row of logits, in place. Ids outside the row are ignored (a bias may name any id). */
export function shapeRow(row: Float32Array, shaping: LogitsShaping, counts: TokenCounts): void {
  for (const [tokenId, bias] of shaping.bias) if (tokenId < row.length) row[tokenId] = (row[tokenId] ?? 0) + bias;
  if (shaping.frequencyPenalty === 0 && shaping.presencePenalty === 0) return;
  for (const [tokenId, count] of counts.entries()) {
    if (tokenId >= row.length) continue;
    row[tokenId] = (row[tokenId] ?? 0) - count * shaping.frequencyPenalty - shaping.presencePenalty;
  }
}
