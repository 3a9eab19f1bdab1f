/**
 * Top-p (nucleus) filtering in place: in each row of `logits` (`rows × vocabSize`), keeps the smallest
 * set of most probable tokens whose probabilities add up to at least `topP` and sets the others to
 * -Infinity. transformers.js 4.3 declares a `TopPLogitsWarper` but never applies `top_p`, hence ours.
 */
export function nucleusFilter(logits: Float32Array, vocabSize: number, topP: number): void {
  if (topP >= 1) return;
  const order = new Uint32Array(vocabSize);
  for (let row = 0; row * vocabSize < logits.length; row++) {
    const offset = row * vocabSize;
    let maxLogit = -Infinity;
    for (let i = 0; i < vocabSize; i++) maxLogit = Math.max(maxLogit, logits[offset + i] ?? -Infinity);
    let sum = 0;
    const weights = new Float64Array(vocabSize);
    for (let i = 0; i < vocabSize; i++) {
      const weight = Math.exp((logits[offset + i] ?? -Infinity) - maxLogit);
      weights[i] = weight;
      sum += weight;
      order[i] = i;
    }
    order.sort((a, b) => (weights[b] ?? 0) - (weights[a] ?? 0));
    let cumulative = 0;
    let kept = 0;
    while (kept < vocabSize && cumulative < topP * sum) {
      cumulative += weights[order[kept] ?? 0] ?? 0;
      kept++;
    }
    for (let rank = Math.max(kept, 1); rank < vocabSize; rank++) logits[offset + (order[rank] ?? 0)] = -Infinity;
  }
}
