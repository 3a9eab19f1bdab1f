import { DEFAULT_REPLICATION_POLICY, checkProbabilityFor, findModel, guardsCanCheck, judgeClaim } from '@tessera/shared';
import type { NodeId, TaskOutput, TaskSpec, VerifyError, VerifyEvidence, VerifyJobId, VerifyVerdict } from '@tessera/shared';
import { jobIdSchema } from '@tessera/shared';
import { mayCheck, type TierRequirement } from '../placement/eligibility.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { CheckDecision, CheckOutcome, ResultChecker } from './check-outcome.ts';
import { finalConsensus, guardConsensus, type Consensus, type GuardVote } from './guard-consensus.ts';
import { GUARD_WEIGHT, pickWeighted } from './pick-weighted.ts';
import type { PlantedClaim } from './planted-checks.ts';
import type { CheckRequest, VerificationCounts, VerifierOptions } from './verifier-options.ts';

export type { CheckRequest, GuardsElsewhere, VerificationCounts, VerifierOptions } from './verifier-options.ts';

interface Job {
  id: VerifyJobId;
  spec: TaskSpec;
  /** The standing the caller asked of every tab that sees the task: guards too. */
  minTier: TierRequirement;
  claim: TaskOutput;
  workerKey: string;
  workerNetwork: string;
  /** Agreeing guards needed to confirm: two for a newcomer's or a just-promoted tab's work. */
  required: number;
  votes: GuardVote[];
  /** Each accepted verdict's evidence: a result confirmed with room to spare may become a planted check. */
  evidence: Array<{ guardKey: string; evidence: VerifyEvidence }>;
  /** A planted check (`PlantedChecks`): the verdict the coordinator knows is right. Never re-dispatched. */
  planted?: PlantedClaim['truth'];
  asked: Set<NodeId>;
  guard: WorkerSession | undefined;
  guardTimer: NodeJS.Timeout | undefined;
  deadlineTimer: NodeJS.Timeout;
  resolve: (outcome: CheckOutcome) => void;
}

function cryptoRandom(): number {
  const [value] = crypto.getRandomValues(new Uint32Array(1));
  return (value ?? 0) / 2 ** 32;
}

/**
 * Guards re-check a sample of results before they are delivered. The sample rate per tab follows the
 * adaptive replication policy (shared); a guard's "invalid" goes to a second guard when one is free, and
 * whoever loses the disagreement loses reputation (told on the event bus; the verifier writes no
 * reputation itself). Guards never learn whose work they check and never check work signed with their
 * own key (`mayCheck`). Verdicts reach it with their signatures already verified by the gateway.
 */
export class Verifier implements ResultChecker {
  readonly #options: VerifierOptions;
  readonly #random: () => number;
  readonly #jobs = new Map<VerifyJobId, Job>();
  readonly #waiting: Job[] = [];
  readonly counts: VerificationCounts = { checked: 0, caught: 0, unverifiedForLackOfGuards: 0, uncheckableEngine: 0, pending: 0 };

  constructor(options: VerifierOptions) {
    this.#options = options;
    this.#random = options.random ?? cryptoRandom;
  }

  /**
   * Decided when the task is assigned, so the stream of a checked task can be held back: `check` when the
   * policy samples it and a guard could check it, `unverifiable` when it is sampled but no guard serves
   * the model (the result is delivered and marked unverified), `skip` otherwise. Models whose engine
   * guards cannot re-score (web-llm: `guardsCanCheck`) are `unverifiable` every time.
   */
  sampleCheck(worker: WorkerSession, spec: TaskSpec, minTier: TierRequirement = null): CheckDecision {
    const model = findModel(this.#options.catalog, spec.model);
    if (model === undefined) return 'skip';
    if (!guardsCanCheck(model)) {
      // Never checkable, so never merely unchecked: every such result is labelled unverified.
      this.counts.uncheckableEngine++;
      return 'unverifiable';
    }
    const stats = this.#options.reputation.get(worker.key.publicKey);
    const floor = this.#options.raisedFloor?.(worker.key.publicKey) ?? 0;
    if (this.#random() >= checkProbabilityFor(stats, this.#options.policy ?? DEFAULT_REPLICATION_POLICY, floor)) return 'skip';
    for (const session of this.#options.registry.candidatesFor(spec.model)) {
      if (this.#couldCheck(session, worker.key.publicKey, minTier)) return 'check';
    }
    if (this.#options.elsewhere?.couldCheck(spec.model) === true) return 'check';
    this.counts.unverifiedForLackOfGuards++;
    return 'unverifiable';
  }

  check(request: { spec: TaskSpec; claim: TaskOutput; worker: WorkerSession; minTier?: TierRequirement }): Promise<CheckOutcome> {
    const { worker, ...rest } = request;
    return this.checkFor({ ...rest, workerKey: worker.key.publicKey, workerNetwork: worker.network, minTier: request.minTier ?? null });
  }

  /**
   * Checks a claim with guards here; when none here may and `forward` allows, with another instance's
   * (`elsewhere`). A check another instance asked for is never sent on again.
   */
  checkFor(request: CheckRequest, forward = true): Promise<CheckOutcome> {
    const elsewhere = this.#options.elsewhere;
    return new Promise((resolve) => {
      const id = jobIdSchema.parse(crypto.randomUUID());
      const job: Job = {
        id,
        spec: request.spec,
        claim: request.claim,
        workerKey: request.workerKey,
        workerNetwork: request.workerNetwork,
        required: this.#confirmationsFor(request.workerKey),
        votes: [],
        evidence: [],
        minTier: request.minTier,
        asked: new Set(),
        guard: undefined,
        guardTimer: undefined,
        deadlineTimer: setTimeout(() => this.#timeOut(job), this.#options.checkTimeoutMs),
        resolve,
      };
      job.deadlineTimer.unref();
      if (forward && elsewhere !== undefined && !this.#anyGuardCouldCheck(job) && elsewhere.couldCheck(request.spec.model)) {
        clearTimeout(job.deadlineTimer);
        resolve(elsewhere.check(request));
        return;
      }
      this.#jobs.set(id, job);
      this.counts.pending = this.#jobs.size;
      this.#dispatch(job);
    });
  }

  /** Whether `jobId` is assigned to `guard` now: the gateway asks before it verifies a verdict's signature. */
  holds(guard: WorkerSession, jobId: VerifyJobId): boolean {
    return this.#jobs.get(jobId)?.guard === guard;
  }

  /** A verdict whose signature the gateway verified. */
  verdict(
    guard: WorkerSession,
    verdict: VerifyVerdict,
  ): { ok: true } | { ok: false; code: 'not_assigned' | 'protocol_violation'; message: string } {
    const job = this.#jobs.get(verdict.jobId);
    if (job === undefined || job.guard !== guard)
      return { ok: false, code: 'not_assigned', message: `Verify job ${verdict.jobId} is not assigned to this guard.` };
    this.#releaseGuard(job);
    const judged = judgeClaim(job.spec, job.claim, verdict.evidence, {
      contextLength: findModel(this.#options.catalog, job.spec.model)?.contextLength,
    });
    if (judged.verdict !== verdict.verdict) {
      // The guard's evidence does not support its own verdict: a broken or lying guard.
      this.#options.logger.warn({ guard: guard.key.fingerprint, jobId: job.id }, 'guard verdict contradicts its evidence');
      this.#options.events.emit('guard:penalized', { guardKey: guard.key.publicKey, why: 'verdict contradicts its evidence' });
      this.#dispatch(job);
      return {
        ok: false,
        code: 'protocol_violation',
        message: `The verdict '${verdict.verdict}' contradicts its evidence (${judged.reason}).`,
      };
    }
    if (verdict.verdict === 'valid') guard.verdicts.valid++;
    else guard.verdicts.invalid++;
    // Paid per check it completed, planted or real alike, before any consequence of the check.
    this.#options.events.emit('guard:checked', {
      guardKey: guard.key.publicKey,
      jobId: job.id,
      model: job.spec.model,
      units: job.claim.kind === 'chat' ? job.claim.tokenIds.length : job.claim.vectors.length,
    });
    if (job.planted !== undefined) {
      const passed = verdict.verdict === job.planted;
      this.#dropPlanted(job);
      if (!passed) this.#options.logger.warn({ guard: guard.key.fingerprint }, `guard failed a planted check: ${judged.reason}`);
      this.#options.events.emit('guard:tested', { guardKey: guard.key.publicKey, passed, reason: judged.reason });
      return { ok: true };
    }
    job.evidence.push({ guardKey: guard.key.publicKey, evidence: verdict.evidence });
    job.votes.push({ guardKey: guard.key.publicKey, network: guard.network, verdict: verdict.verdict, reason: judged.reason });
    const consensus = guardConsensus(job.votes, job.required);
    if (consensus.kind !== 'ask-another') return this.#conclude(job, consensus);
    if (!this.#anyGuardCouldCheck(job)) return this.#conclude(job, finalConsensus(job.votes));
    this.#dispatch(job);
    return { ok: true };
  }

  error(guard: WorkerSession, error: VerifyError): { ok: true } | { ok: false; code: 'not_assigned'; message: string } {
    const job = this.#jobs.get(error.jobId);
    if (job === undefined || job.guard !== guard)
      return { ok: false, code: 'not_assigned', message: `Verify job ${error.jobId} is not assigned to this guard.` };
    this.#options.logger.info({ guard: guard.key.fingerprint, code: error.code }, `guard could not check: ${error.message}`);
    this.#releaseGuard(job);
    this.#dispatch(job);
    return { ok: true };
  }

  /** A guard joined or freed a slot: give it waiting jobs. */
  guardAvailable(): void {
    for (const job of this.#waiting.splice(0)) this.#dispatch(job);
  }

  /** A guard left: its jobs go to other guards. */
  guardGone(guard: WorkerSession): void {
    for (const job of this.#jobs.values()) {
      if (job.guard === guard) {
        this.#releaseGuard(job);
        this.#dispatch(job);
      }
    }
  }

  stop(): void {
    this.#options.planted?.stop();
    for (const job of [...this.#jobs.values()]) this.#finish(job, { verdict: 'unverified', reason: 'the coordinator is shutting down' });
  }

  #dispatch(job: Job): void {
    if (!this.#jobs.has(job.id)) return;
    // A planted check is its one guard's alone: one that did not answer it is not given to another.
    if (job.planted !== undefined) return this.#dropPlanted(job);
    const guard = this.#pickGuard(job);
    if (guard === undefined) {
      if (this.#anyGuardCouldCheck(job)) this.#waiting.push(job);
      else this.#conclude(job, finalConsensus(job.votes));
      return;
    }
    this.#assign(job, guard);
    this.#maybePlant(guard, job.spec.model);
  }

  #assign(job: Job, guard: WorkerSession): void {
    job.guard = guard;
    job.asked.add(guard.nodeId);
    guard.activeJobs.add(job.id);
    job.guardTimer = setTimeout(() => {
      this.#options.logger.warn({ guard: guard.key.fingerprint, jobId: job.id }, 'guard did not answer in time');
      guard.channel.send({ event: 'verify:cancel', payload: { jobId: job.id, reason: 'lease expired' } });
      this.#releaseGuard(job);
      this.#dispatch(job);
    }, this.#options.guardLeaseMs);
    job.guardTimer.unref();
    guard.channel.send({
      event: 'verify:assign',
      payload: { jobId: job.id, leaseMs: this.#options.guardLeaseMs, task: job.spec, claim: job.claim },
    });
  }

  /** Whether a planted check follows this real job to its guard, a random while later (`PlantedChecks.plantBeside`). */
  #maybePlant(guard: WorkerSession, model: string): void {
    const guardKey = guard.key.publicKey;
    this.#options.planted?.plantBeside(guardKey, this.#options.reputation.get(guardKey), model, (plant) => this.#sendPlanted(guard, plant));
  }

  /** Sends a planted check to a guard still connected with a free slot; a busy or gone guard is spared it. */
  #sendPlanted(guard: WorkerSession, plant: PlantedClaim): void {
    if (this.#options.registry.get(guard.nodeId) !== guard) return;
    if (guard.activeJobs.size >= guard.capabilities.maxConcurrentTasks) return;
    const id = jobIdSchema.parse(crypto.randomUUID());
    const job: Job = {
      id,
      spec: plant.spec,
      claim: plant.claim,
      workerKey: '',
      workerNetwork: '',
      required: 1,
      votes: [],
      evidence: [],
      planted: plant.truth,
      minTier: null,
      asked: new Set([guard.nodeId]),
      guard: undefined,
      guardTimer: undefined,
      // Timed out as a real job is (`verify:cancel`, 'check timed out'), and then simply forgotten.
      deadlineTimer: setTimeout(() => this.#timeOut(job), this.#options.checkTimeoutMs),
      resolve: () => undefined,
    };
    job.deadlineTimer.unref();
    this.#jobs.set(id, job);
    // Counted as pending like a real job: a guard watching the network's figures sees no difference.
    this.counts.pending = this.#jobs.size;
    this.#assign(job, guard);
  }

  #dropPlanted(job: Job): void {
    clearTimeout(job.deadlineTimer);
    this.#releaseGuard(job);
    this.#jobs.delete(job.id);
    this.counts.pending = this.#jobs.size;
  }

  /**
   * A free guard for the job, drawn at random among those that may check it, weighted by standing: the
   * worker cannot predict which guard will see its result, and a colluder holds only its share of draws.
   */
  #pickGuard(job: Job): WorkerSession | undefined {
    const free: WorkerSession[] = [];
    for (const session of this.#eligibleGuards(job)) {
      if (session.activeJobs.size < session.capabilities.maxConcurrentTasks) free.push(session);
    }
    return pickWeighted(free, (session) => GUARD_WEIGHT[this.#options.reputation.tier(session.key.publicKey)], this.#random);
  }

  #anyGuardCouldCheck(job: Job): boolean {
    return !this.#eligibleGuards(job).next().done;
  }

  /** Guards that may check this job: `mayCheck`, not asked yet, and independent of the worker and each other. */
  *#eligibleGuards(job: Job): Generator<WorkerSession> {
    const separate = this.#options.guardsFromOtherNetworks ?? true;
    for (const session of this.#options.registry.candidatesFor(job.spec.model)) {
      if (!this.#couldCheck(session, job.workerKey, job.minTier) || job.asked.has(session.nodeId)) continue;
      if (this.#options.related?.(session.key.publicKey, job.workerKey) === true) continue;
      if (separate && (session.network === job.workerNetwork || job.votes.some((vote) => vote.network === session.network))) continue;
      yield session;
    }
  }

  /** Two confirmations while a tab is new or just promoted (its streak under twice the probation), else one. */
  #confirmationsFor(workerKey: string): number {
    const policy = this.#options.policy ?? DEFAULT_REPLICATION_POLICY;
    return this.#options.reputation.get(workerKey).consecutiveValid < 2 * policy.probationChecks ? 2 : 1;
  }

  /** Ends a job on what its guards decided: dissenters pay, a dispute blames nobody. */
  #conclude(job: Job, consensus: Consensus | { kind: 'none' }): { ok: true } {
    switch (consensus.kind) {
      case 'none':
        return this.#finish(job, { verdict: 'unverified', reason: `no guard left to check ${job.spec.model}` });
      case 'disputed':
        this.#options.logger.warn({ jobId: job.id, worker: job.workerKey.slice(0, 12) }, `result disputed: ${consensus.reason}`);
        return this.#finish(job, { verdict: 'disputed', reason: consensus.reason });
      case 'ask-another':
        return this.#conclude(job, finalConsensus(job.votes));
      case 'decided':
        for (const guardKey of consensus.dissenters) {
          this.#options.events.emit('guard:penalized', { guardKey, why: 'outvoted by the other guards' });
        }
        return this.#finish(job, { verdict: consensus.verdict, reason: consensus.reason });
    }
  }

  #couldCheck(session: WorkerSession, workerKey: string, minTier: TierRequirement): boolean {
    const publicKey = session.key.publicKey;
    return mayCheck({ role: session.role, publicKey, tier: this.#options.reputation.tier(publicKey) }, workerKey, minTier);
  }

  #releaseGuard(job: Job): void {
    clearTimeout(job.guardTimer);
    job.guardTimer = undefined;
    if (job.guard !== undefined) {
      job.guard.activeJobs.delete(job.id);
      job.guard = undefined;
      queueMicrotask(() => this.guardAvailable());
    }
  }

  #timeOut(job: Job): void {
    if (!this.#jobs.has(job.id)) return;
    if (job.guard !== undefined) job.guard.channel.send({ event: 'verify:cancel', payload: { jobId: job.id, reason: 'check timed out' } });
    this.#releaseGuard(job);
    const final = finalConsensus(job.votes);
    if (final.kind === 'none') this.#finish(job, { verdict: 'unverified', reason: 'no guard answered in time' });
    else this.#conclude(job, final);
  }

  #finish(job: Job, outcome: CheckOutcome): { ok: true } {
    clearTimeout(job.deadlineTimer);
    this.#releaseGuard(job);
    this.#jobs.delete(job.id);
    const waitingIndex = this.#waiting.indexOf(job);
    if (waitingIndex !== -1) this.#waiting.splice(waitingIndex, 1);
    this.counts.pending = this.#jobs.size;
    if (outcome.verdict === 'valid' && job.votes.every((vote) => vote.verdict === 'valid')) {
      this.#options.planted?.recordConfirmed(job.spec, job.claim, job.workerKey, job.evidence);
    }
    if (outcome.verdict === 'valid' || outcome.verdict === 'invalid') {
      this.counts.checked++;
      if (outcome.verdict === 'invalid') this.counts.caught++;
      this.#options.events.emit('verify:checked', { workerKey: job.workerKey, verdict: outcome.verdict, reason: outcome.reason });
      if (outcome.verdict === 'invalid') {
        this.#options.logger.warn(
          { worker: job.workerKey.slice(0, 12), tier: this.#options.reputation.tier(job.workerKey), reason: outcome.reason },
          'caught a wrong result',
        );
      }
    }
    job.resolve(outcome);
    return { ok: true };
  }
}
