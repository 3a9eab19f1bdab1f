import { MODEL_CATALOG, TesseraError, assertNever, cosineSimilarity, findModel, judgeClaim, verdictSigningBytes } from '@tessera/shared';
import type {
  NodeId,
  TaskOutput,
  TaskSpec,
  Verdict,
  VerifyAssign,
  VerifyError,
  VerifyEvidence,
  VerifyJobId,
  VerifyVerdict,
} from '@tessera/shared';
import type { TabIdentity } from '../identity/tab-identity.ts';
import type { InferenceEngine } from '../engine/inference-engine.ts';
import { isCancellation, toWireError } from '../engine/wire-error.ts';

/** Where a guard's messages go: the coordinator connection in a tab, a recorder in tests. */
export interface VerifySink {
  verdict(payload: VerifyVerdict): void;
  verifyError(payload: VerifyError): void;
}

export type GuardCheckStatus = 'running' | Verdict | 'error' | 'cancelled' | 'refused';

/** One line of the guard page's "checks" list. */
export interface GuardCheck {
  jobId: VerifyJobId;
  kind: TaskSpec['kind'];
  model: string;
  status: GuardCheckStatus;
  startedAt: number;
  /** Claimed tokens (chat) or vectors (embeddings). */
  units: number;
  totalMs: number | null;
  /** Why the verdict is what it is, or why there is none. */
  reason: string | null;
}

export interface GuardRunnerOptions {
  engine: InferenceEngine;
  sink: VerifySink;
  /** Signs every verdict (`verdictSigningBytes`). */
  identity: Pick<TabIdentity, 'sign'>;
  /** The node id of the current connection (`worker:welcome`); verdicts are signed for it. */
  nodeId: () => NodeId | null;
  maxConcurrentJobs: number;
  /** Resolves once the model is loaded (loading it on demand if the tab offers it), or throws. */
  ensureModel: (modelId: string) => Promise<void>;
  /** Called whenever a check starts, ends, or is refused. */
  onUpdate?: (check: GuardCheck) => void;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  /** Wall clock for `startedAt`. */
  wallClock?: () => number;
}

/** The verdict's reason must fit `verifyVerdictSchema`. */
const MAX_REASON_CHARS = 500;

const NO_CHAT_EVIDENCE: VerifyEvidence = { kind: 'chat', scores: [], decodedText: '', endScore: null, promptTokens: 0 };
const NO_EMBEDDING_EVIDENCE: VerifyEvidence = { kind: 'embeddings', cosines: [] };

interface Evidence {
  evidence: VerifyEvidence;
  /** Set when the claim could not even be scored: the reason to give instead of the judge's. */
  unscorable: string | null;
}

/**
 * How close a claimed embedding is to the guard's own: their cosine, or 0 when the guard has no vector
 * at that index or the lengths differ. Kept inside [-1, 1] and finite, as the evidence schema wants.
 */
export function embeddingAgreement(claimed: readonly number[], own: readonly number[] | undefined): number {
  if (own === undefined || own.length !== claimed.length) return 0;
  const cosine = cosineSimilarity(claimed, own);
  return Number.isFinite(cosine) ? Math.max(-1, Math.min(1, cosine)) : 0;
}

interface ActiveJob {
  controller: AbortController;
}

/**
 * A guard's side of verification: on `verify:assign` it recomputes what it needs on its own loaded model
 * (chat: one forward pass scoring the claimed tokens; embeddings: its own vectors), lets the shared
 * `judgeClaim` decide, and sends a `verify:verdict` signed with the tab's key, or `verify:error` when it
 * could not check (model not loaded, engine failure, no capacity). A claim no tab could have produced
 * (token ids outside the vocabulary, longer than the context) is `invalid`. `verify:cancel` stops a
 * check and nothing more is sent. At most `maxConcurrentJobs` checks run at once.
 */
export class GuardRunner {
  readonly #options: GuardRunnerOptions;
  readonly #now: () => number;
  readonly #wallClock: () => number;
  readonly #active = new Map<VerifyJobId, ActiveJob>();

  constructor(options: GuardRunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? Date.now;
  }

  get activeJobIds(): VerifyJobId[] {
    return [...this.#active.keys()];
  }

  /** Handles `verify:assign`; resolves once the verdict or error was sent, or the check was cancelled. */
  async assign(assign: VerifyAssign): Promise<void> {
    const { jobId, task, claim } = assign;
    const { sink } = this.#options;
    const record: GuardCheck = {
      jobId,
      kind: task.kind,
      model: task.model,
      status: 'running',
      startedAt: this.#wallClock(),
      units: claim.kind === 'chat' ? claim.tokenIds.length : claim.vectors.length,
      totalMs: null,
      reason: null,
    };
    if (this.#active.has(jobId)) return;
    const refuse = (code: 'no_capacity' | 'internal_error', message: string): void => {
      sink.verifyError({ jobId, code, message });
      this.#update({ ...record, status: 'refused', reason: message });
    };
    if (this.#active.size >= this.#options.maxConcurrentJobs) {
      refuse('no_capacity', `This guard already runs ${this.#active.size} of at most ${this.#options.maxConcurrentJobs} checks.`);
      return;
    }
    const nodeId = this.#options.nodeId();
    if (nodeId === null) {
      refuse('internal_error', 'This guard has not been welcomed on this connection yet.');
      return;
    }
    const controller = new AbortController();
    const signal = controller.signal;
    this.#active.set(jobId, { controller });
    this.#update(record);
    const started = this.#now();
    try {
      await this.#options.ensureModel(task.model);
      const { evidence, unscorable } = await this.#evidence(task, claim, signal);
      const judgement = judgeClaim(task, claim, evidence, { contextLength: findModel(MODEL_CATALOG, task.model)?.contextLength });
      const reason = (unscorable ?? judgement.reason).slice(0, MAX_REASON_CHARS);
      const signature = await this.#options.identity.sign(verdictSigningBytes({ nodeId, jobId, verdict: judgement.verdict, evidence }));
      if (signal.aborted) throw new TesseraError('task_cancelled');
      sink.verdict({ jobId, verdict: judgement.verdict, reason, evidence, signature });
      this.#update({ ...record, status: judgement.verdict, reason, totalMs: this.#now() - started });
    } catch (error) {
      const totalMs = this.#now() - started;
      if (signal.aborted || isCancellation(error)) {
        this.#update({ ...record, status: 'cancelled', totalMs });
      } else {
        const wire = toWireError(error, 'inference_failed');
        sink.verifyError({ jobId, code: wire.code, message: wire.message });
        this.#update({ ...record, status: 'error', totalMs, reason: `${wire.code}: ${wire.message}` });
      }
    } finally {
      this.#active.delete(jobId);
    }
  }

  /** Handles `verify:cancel`: the check stops and reports nothing more. */
  cancel(jobId: VerifyJobId): void {
    this.#active.get(jobId)?.controller.abort();
  }

  /** The connection dropped: the coordinator has given these checks to other guards. */
  cancelAll(): void {
    for (const job of this.#active.values()) job.controller.abort();
  }

  async #evidence(task: TaskSpec, claim: TaskOutput, signal: AbortSignal): Promise<Evidence> {
    const { engine } = this.#options;
    switch (task.kind) {
      case 'chat': {
        // A claim of the wrong kind needs no model: the judge refuses it on sight.
        if (claim.kind !== 'chat') return { evidence: NO_CHAT_EVIDENCE, unscorable: null };
        try {
          return { evidence: await engine.score({ task, tokenIds: claim.tokenIds, signal }), unscorable: null };
        } catch (error) {
          // The engine's word for "no tab could have produced these tokens": an invalid claim, not a failed check.
          if (error instanceof TesseraError && error.code === 'invalid_request')
            return { evidence: { ...NO_CHAT_EVIDENCE }, unscorable: error.message };
          throw error;
        }
      }
      case 'embeddings': {
        if (claim.kind !== 'embeddings') return { evidence: NO_EMBEDDING_EVIDENCE, unscorable: null };
        const own = (await engine.embed({ task, signal })).output.vectors;
        return {
          evidence: { kind: 'embeddings', cosines: claim.vectors.map((vector, index) => embeddingAgreement(vector, own[index])) },
          unscorable: null,
        };
      }
      default:
        return assertNever(task, 'task kind');
    }
  }

  #update(check: GuardCheck): void {
    this.#options.onUpdate?.(check);
  }
}
