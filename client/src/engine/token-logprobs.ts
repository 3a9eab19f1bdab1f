import type { TokenLogprob } from '@tessera/shared';

/**
 * Log probabilities of one row of (shaped, masked) logits at temperature 1, as OpenAI's `logprobs` report
 * them: the model's distribution, not the sampler's. Masked entries (−∞) have probability 0.
 */
export class RowLogprobs {
  readonly #row: Float32Array;
  readonly #logSum: number;
  readonly #max: number;

  constructor(row: Float32Array) {
    this.#row = row;
    let max = -Infinity;
    for (const value of row) if (value > max) max = value;
    let sum = 0;
    for (const value of row) sum += Math.exp(value - max);
    this.#max = max;
    this.#logSum = Math.log(sum);
  }

  of(tokenId: number): number {
    return Math.min(0, (this.#row[tokenId] ?? -Infinity) - this.#max - this.#logSum);
  }

  /** The `count` most likely tokens, best first (lower id first on a tie), as `[tokenId, logprob]`. */
  top(count: number): [number, number][] {
    const best: [number, number][] = [];
    if (count <= 0) return best;
    for (let id = 0; id < this.#row.length; id++) {
      const value = this.#row[id] ?? -Infinity;
      if (value === -Infinity) continue;
      if (best.length === count && value <= (best[count - 1]?.[1] ?? -Infinity)) continue;
      let at = best.length;
      while (at > 0 && value > (best[at - 1]?.[1] ?? Infinity)) at--;
      best.splice(at, 0, [id, value]);
      if (best.length > count) best.pop();
    }
    return best.map(([id]) => [id, this.of(id)]);
  }

  entry(tokenId: number, topCount: number): TokenLogprob {
    return { logprob: this.of(tokenId), top: this.top(topCount) };
  }
}
