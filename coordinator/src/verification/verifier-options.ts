import type { ModelCatalogEntry, ReplicationPolicy, TaskOutput, TaskSpec } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { TierRequirement } from '../placement/eligibility.ts';
import type { ReputationBook } from '../reputation/reputation-book.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { CheckOutcome } from './check-outcome.ts';
import type { PlantedChecks } from './planted-checks.ts';

export interface VerifierOptions {
  registry: WorkerRegistry;
  catalog: readonly ModelCatalogEntry[];
  /** Read only: check rates and guard eligibility follow from it. */
  reputation: ReputationBook;
  events: CoordinatorEventBus;
  /** How long one guard has to answer before the job goes to another. */
  guardLeaseMs: number;
  /** How long a check may take in all before the result is delivered unverified. */
  checkTimeoutMs: number;
  logger: FastifyBaseLogger;
  policy?: ReplicationPolicy;
  /**
   * Whether a guard must come from another network (address /24 or /64) than the worker and than the
   * job's other guards. On by default; off only where every tab shares one address (tests on loopback).
   */
  guardsFromOtherNetworks?: boolean;
  /** A check probability a tab's recent behaviour calls for at least (`BehaviourWatch`); 0 by default. */
  raisedFloor?: (workerKey: string) => number;
  /**
   * Whether two keys look like one owner's (the same linked account, or tabs that keep coming and going
   * together): such a guard never checks that worker.
   */
  related?: (guardKey: string, workerKey: string) => boolean;
  /**
   * Guards of other instances (scale-out): asked when no guard here may check a result, so a result is not
   * delivered unverified while the network has a guard for it.
   */
  elsewhere?: GuardsElsewhere;
  /** Checks of the guards themselves (`PlantedChecks`); none when absent. */
  planted?: PlantedChecks;
  /** Uniform [0, 1); injectable so simulations and tests are reproducible. */
  random?: () => number;
  now?: () => number;
}

/** A check as another instance asks for it: the worker is known by its key and network only. */
export interface CheckRequest {
  spec: TaskSpec;
  claim: TaskOutput;
  workerKey: string;
  workerNetwork: string;
  minTier: TierRequirement;
}

/** Where a check goes when no guard here may take it. */
export interface GuardsElsewhere {
  couldCheck(model: string): boolean;
  check(request: CheckRequest): Promise<CheckOutcome>;
}

export interface VerificationCounts {
  checked: number;
  caught: number;
  unverifiedForLackOfGuards: number;
  /** Attempts of models whose engine guards cannot check (`guardsCanCheck`): all delivered unverified. */
  uncheckableEngine: number;
  pending: number;
}
