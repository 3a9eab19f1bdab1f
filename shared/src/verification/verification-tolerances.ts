/**
 * How close an honest tab's output must be to a guard's recomputation. Measured (DESIGN.md §6): greedy
 * token ids are identical across Node, browser WASM and browser WebGPU and logits differ by ≤ 1e-5 in
 * fp32; fp16 GPU kernels differ more, so ties within 0.05 logits are accepted either way. Embedding
 * vectors differ by ≤ 7.5e-8 (normalized), far inside the cosine bound.
 */
export const VERIFICATION_TOLERANCES = {
  /** A greedy token passes if its logit is within this of the guard's best. */
  greedyLogitTolerance: 0.05,
  /**
   * Sampled decoding is judged on the whole sequence: its log-likelihood under the guard's distributions,
   * standardised by their expected value and variance, must not fall below this z (an honest sample sits
   * near 0; top-p only raises it)...
   */
  sampledMinZ: -6,
  /** ...and no single token may be this improbable (the mass of all such tokens is below V × 1e-12). */
  sampledMinProbability: 1e-12,
  /**
   * A reported log probability passes within this of the guard's (natural log): fp16 kernels move logits by
   * a few hundredths, and a log-softmax adds the error of the whole row's sum.
   */
  logprobTolerance: 0.1,
  /** Each embedding must have at least this cosine to the guard's own. */
  embeddingMinCosine: 0.9999,
} as const;

export type VerificationTolerances = typeof VERIFICATION_TOLERANCES;
