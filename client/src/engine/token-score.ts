import type { TokenScore } from '@tessera/shared';

/** One row of logits: the model's scores for every vocabulary entry at one position. */
export type LogitsRow = ArrayLike<number>;

/**
 * How a row of logits scores `tokenId` (`TokenScore` in the shared verification messages): its logit,
 * the row's largest logit, its rank (how many entries score strictly higher; 0 = the top choice) and
 * its natural-log probability under `temperature`: `logit/T − logsumexp(row/T)`, computed around the
 * row's maximum so large logits cannot overflow, with the mean and variance of log p at that position.
 * Greedy decoding (`temperature` 0) has no distribution to speak of, so those are 0 and the judge looks
 * at the logit gap instead.
 *
 * Throws a `RangeError` for an id outside the row; callers check ids against the vocabulary first.
 */
export function scoreToken(row: LogitsRow, tokenId: number, temperature: number): TokenScore {
  if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= row.length) {
    throw new RangeError(`token id ${tokenId} is outside a row of ${row.length} logits`);
  }
  const chosenLogit = row[tokenId] ?? Number.NaN;
  let maxLogit = -Infinity;
  let rank = 0;
  for (let index = 0; index < row.length; index++) {
    const logit = row[index] ?? -Infinity;
    if (logit > maxLogit) maxLogit = logit;
    if (logit > chosenLogit) rank++;
  }
  if (temperature <= 0) return { chosenLogit, maxLogit, rank, logProb: 0, expectedLogProb: 0, logProbVariance: 0 };
  return { chosenLogit, maxLogit, rank, ...distributionMoments(row, chosenLogit, maxLogit, temperature) };
}

/**
 * log p of the chosen token under softmax(row / T), with the mean and variance of log p over that same
 * distribution (what an honest sample's log p averages to, and how much it spreads): the shared judge
 * compares a whole sampled sequence's likelihood against them.
 */
function distributionMoments(
  row: LogitsRow,
  chosenLogit: number,
  maxLogit: number,
  temperature: number,
): Pick<TokenScore, 'logProb' | 'expectedLogProb' | 'logProbVariance'> {
  let sum = 0;
  for (let index = 0; index < row.length; index++) sum += Math.exp(((row[index] ?? -Infinity) - maxLogit) / temperature);
  const logSum = Math.log(sum);
  let mean = 0;
  let meanOfSquares = 0;
  for (let index = 0; index < row.length; index++) {
    const logP = ((row[index] ?? -Infinity) - maxLogit) / temperature - logSum;
    const p = Math.exp(logP);
    if (p === 0) continue;
    mean += p * logP;
    meanOfSquares += p * logP * logP;
  }
  return {
    logProb: (chosenLogit - maxLogit) / temperature - logSum,
    expectedLogProb: mean,
    logProbVariance: Math.max(0, meanOfSquares - mean * mean),
  };
}

/**
 * The best score among several candidate tokens (a model may have more than one end-of-sequence token):
 * the one with the largest logit, the first on a tie. Ids outside the row are skipped; null when none
 * is left.
 */
export function bestTokenScore(row: LogitsRow, tokenIds: Iterable<number>, temperature: number): TokenScore | null {
  let best: TokenScore | null = null;
  for (const tokenId of tokenIds) {
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= row.length) continue;
    const score = scoreToken(row, tokenId, temperature);
    if (best === null || score.chosenLogit > best.chosenLogit) best = score;
  }
  return best;
}
