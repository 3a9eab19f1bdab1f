import { DEFAULT_REPLICATION_POLICY, VERIFICATION_TOLERANCES, checkProbabilityFor, cosineSimilarity } from '@tessera/shared';
import type { ReplicationPolicy, ReputationStats, TaskOutput, TaskSpec, VerifyEvidence } from '@tessera/shared';

type ChatClaim = Extract<TaskOutput, { kind: 'chat' }>;
type EmbeddingsClaim = Extract<TaskOutput, { kind: 'embeddings' }>;

/** A claim whose right verdict the coordinator knows, to be checked by a guard as if it were real work. */
export interface PlantedClaim {
  spec: TaskSpec;
  claim: TaskOutput;
  truth: 'valid' | 'invalid';
}

interface Confirmed {
  spec: TaskSpec;
  claim: TaskOutput;
  /** The worker and the guards that saw it: never planted on them, who might remember it. */
  seenBy: Set<string>;
}

export interface PlantedChecksOptions {
  /** The text a model's tokenizer decodes token ids to (a swapped token changes the text too); null when unknown. */
  decode: (model: string, tokenIds: readonly number[]) => Promise<string | null>;
  policy?: ReplicationPolicy;
  /** Uniform [0, 1); a guard must not predict it. Injectable for reproducible simulations. */
  random?: () => number;
  /** Confirmed results kept per model, newest first. */
  keepPerModel?: number;
  /** A planted check goes out within this long after the real job it was drawn beside (uniform). */
  delayMs?: number;
  logger?: { warn(object: object, message: string): void };
}

/** The share of planted checks that are known wrong (the rest known right): laziness passes everything. */
export const KNOWN_WRONG_SHARE = 0.5;

/** Below this cosine a corrupted vector is wrong by ten times the guards' tolerance, whatever the device. */
const CORRUPTED_MAX_COSINE = 1 - 10 * (1 - VERIFICATION_TOLERANCES.embeddingMinCosine);

/**
 * Checks of the guards themselves. A guard is paid per check, so a lazy guard could answer "valid" to
 * everything without running the model. Now and then the coordinator hands a guard a claim whose answer it
 * already knows: a result two guards confirmed (known right), or a copy of one with one token swapped or
 * one vector disturbed (known wrong). The guard cannot tell: same message, a fresh job id, sent when a real
 * job is, paid the same. How often follows the workers' adaptive rate for the guard's own record
 * (`checkProbabilityFor`): every real check of a new guard until it passed ten in a row, a few in a
 * hundred for a veteran, every time again after a failure. Half are known wrong, since laziness passes
 * everything; half known right, which catch a guard that refutes honest work.
 *
 * Only results that left every guard a wide margin are kept (greedy chat within half the logit tolerance,
 * embeddings within half the cosine tolerance), so an honest guard on another device does not fail a known
 * right one by runtime noise.
 */
export class PlantedChecks {
  readonly #options: PlantedChecksOptions;
  readonly #random: () => number;
  readonly #confirmed = new Map<string, Confirmed[]>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: PlantedChecksOptions) {
    this.#options = options;
    this.#random = options.random ?? (() => (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32);
  }

  /** A real check ended confirmed: kept when two or more guards agreed with room to spare. */
  recordConfirmed(
    spec: TaskSpec,
    claim: TaskOutput,
    workerKey: string,
    votes: ReadonlyArray<{ guardKey: string; evidence: VerifyEvidence }>,
  ): void {
    if (votes.length < 2 || !votes.every((vote) => comfortablyValid(spec, vote.evidence))) return;
    if (spec.kind === 'chat' && (spec.params.temperature !== 0 || spec.params.topLogprobs !== undefined)) return;
    const kept = this.#confirmed.get(spec.model) ?? [];
    kept.unshift({ spec, claim, seenBy: new Set([workerKey, ...votes.map((vote) => vote.guardKey)]) });
    kept.length = Math.min(kept.length, this.#options.keepPerModel ?? 64);
    this.#confirmed.set(spec.model, kept);
  }

  /**
   * Whether to plant a check on `guardKey` beside a real one of `model`, and which: drawn at the guard's
   * own check probability. Undefined when not drawn or when nothing known is left it has not seen.
   */
  async draw(guardKey: string, stats: ReputationStats, model: string): Promise<PlantedClaim | undefined> {
    const random = this.#random;
    if (random() >= checkProbabilityFor(stats, this.#options.policy ?? DEFAULT_REPLICATION_POLICY)) return undefined;
    const unseen = (this.#confirmed.get(model) ?? []).filter((known) => !known.seenBy.has(guardKey));
    const picked = unseen[Math.floor(random() * unseen.length)];
    if (picked === undefined) return undefined;
    if (random() < KNOWN_WRONG_SHARE) {
      const claim = await this.#corrupt(picked, unseen);
      if (claim !== undefined) return { spec: picked.spec, claim, truth: 'invalid' };
    }
    return { spec: picked.spec, claim: picked.claim, truth: 'valid' };
  }

  /**
   * Draws (`draw`) whether a planted check follows a real job of `model` to the guard, and if so hands it to
   * `send` a random while later (up to `delayMs`): planted jobs arrive as real ones do, beside real traffic.
   */
  plantBeside(guardKey: string, stats: ReputationStats, model: string, send: (plant: PlantedClaim) => void): void {
    void this.draw(guardKey, stats, model)
      .then((plant) => {
        if (plant === undefined) return;
        const timer = setTimeout(
          () => {
            this.#timers.delete(timer);
            send(plant);
          },
          this.#random() * (this.#options.delayMs ?? 0),
        );
        timer.unref();
        this.#timers.add(timer);
      })
      .catch((error: unknown) => this.#options.logger?.warn({ err: error }, 'could not prepare a planted check'));
  }

  /** Planted checks not sent yet are dropped. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** How many confirmed results are kept for `model`. */
  known(model: string): number {
    return this.#confirmed.get(model)?.length ?? 0;
  }

  async #corrupt(known: Confirmed, others: readonly Confirmed[]): Promise<TaskOutput | undefined> {
    if (known.claim.kind === 'embeddings') return disturbVector(known.claim, this.#random);
    return await this.#swapToken(known.spec.model, known.claim, others);
  }

  /**
   * One token replaced by a token the model's other answers use (a real token of its vocabulary) that this
   * answer does not, the text decoded again, so the claim stays consistent with itself: only re-scoring finds it.
   */
  async #swapToken(model: string, claim: ChatClaim, others: readonly Confirmed[]): Promise<ChatClaim | undefined> {
    if (claim.tokenIds.length === 0) return undefined;
    const own = new Set(claim.tokenIds);
    const candidates = [
      ...new Set(others.flatMap((other) => (other.claim.kind === 'chat' ? other.claim.tokenIds : [])).filter((id) => !own.has(id))),
    ];
    const random = this.#random;
    const position = Math.floor(random() * claim.tokenIds.length);
    const original = claim.tokenIds[position] ?? 0;
    const replacement = candidates[Math.floor(random() * candidates.length)] ?? (original > 0 ? original - 1 : original + 1);
    const tokenIds = claim.tokenIds.map((id, index) => (index === position ? replacement : id));
    const text = await this.#options.decode(model, tokenIds);
    if (text === null || text === claim.text) return undefined;
    return { kind: 'chat', text, finishReason: claim.finishReason, tokenIds };
  }
}

/** Whether a guard's evidence confirmed a claim by at least twice the margin the tolerances require. */
function comfortablyValid(spec: TaskSpec, evidence: VerifyEvidence): boolean {
  if (evidence.kind === 'embeddings') {
    const halfway = 1 - (1 - VERIFICATION_TOLERANCES.embeddingMinCosine) / 2;
    return evidence.cosines.every((cosine) => cosine >= halfway);
  }
  if (spec.kind !== 'chat' || spec.params.temperature !== 0) return false;
  const margin = VERIFICATION_TOLERANCES.greedyLogitTolerance / 2;
  const scores = evidence.endScore === null ? evidence.scores : [...evidence.scores, evidence.endScore];
  return scores.every((score) => score.maxLogit - score.chosenLogit <= margin);
}

/**
 * One vector's largest and smallest components swapped: its length is unchanged (a length check finds
 * nothing), its direction is off by far more than the tolerance. Undefined when no vector moves that far.
 */
function disturbVector(claim: EmbeddingsClaim, random: () => number): EmbeddingsClaim | undefined {
  const start = Math.floor(random() * claim.vectors.length);
  for (let offset = 0; offset < claim.vectors.length; offset++) {
    const index = (start + offset) % claim.vectors.length;
    const vector = claim.vectors[index] ?? [];
    let high = 0;
    let low = 0;
    for (const [i, value] of vector.entries()) {
      if (value > (vector[high] ?? value)) high = i;
      if (value < (vector[low] ?? value)) low = i;
    }
    const swapped = vector.map((value, i) => (i === high ? (vector[low] ?? value) : i === low ? (vector[high] ?? value) : value));
    if (cosineSimilarity(vector, swapped) <= CORRUPTED_MAX_COSINE) {
      return { kind: 'embeddings', vectors: claim.vectors.map((other, i) => (i === index ? swapped : other)) };
    }
  }
  return undefined;
}
