import { creditFor, findModel, guardRewardMultiplierOf, guardsCanCheck, workUnits } from '@tessera/shared';
import type { ModelCatalogEntry, Tier } from '@tessera/shared';
import type { TaskRecord, TaskResultRecord } from '../tasks/task-record.ts';

/** One ledger line for a delivered result. */
export interface CreditEntry {
  taskId: string;
  publicKey: string;
  model: string;
  units: bigint;
  amount: bigint;
  /** Held until the epoch closes, forfeited if the tab is caught meanwhile. */
  escrow: boolean;
}

/**
 * What a result earns, the one place that decides it: its units of work (generated tokens for chat,
 * embedded inputs for embeddings) × the base rate × the model's multiplier × the tab's tier multiplier,
 * in bigint. A result no guard confirmed is held in escrow until its epoch closes, whatever the tab's
 * tier; when a guard catches one of the tab's results, everything it holds in escrow is forfeited
 * (`keepRewards`). So a trusted tab that turns to lying loses the pay for the lies that got through
 * unchecked before the catch, not only the one caught.
 * Results of a model whose engine guards cannot check (web-llm today) are paid at most at the probation
 * rate and always held in escrow, whatever the tab's tier.
 *
 * @example
 * creditPolicy({ record, result, publicKey, tier: 'trusted', catalog, ratePerUnit: 1000n })
 */
export function creditPolicy(input: {
  record: TaskRecord;
  result: TaskResultRecord;
  publicKey: string;
  tier: Tier;
  catalog: readonly ModelCatalogEntry[];
  ratePerUnit: bigint;
}): CreditEntry {
  const { record, result } = input;
  const model = findModel(input.catalog, record.spec.model);
  const units = workUnits(result.output, result.usage);
  const modelMultiplier = model?.rewardMultiplier ?? 0;
  // Work no guard can ever check is paid as a newcomer's would be, and held in escrow, until it can be.
  const uncheckable = model === undefined || !guardsCanCheck(model);
  const tier = uncheckable && (input.tier === 'trusted' || input.tier === 'veteran') ? 'probation' : input.tier;
  return {
    taskId: record.id,
    publicKey: input.publicKey,
    model: record.spec.model,
    units,
    amount: creditFor({ units, ratePerUnit: input.ratePerUnit, modelMultiplier, tier }),
    escrow: result.check !== 'passed',
  };
}

/** Ledger key of a guard's pay for one check: one row per job and guard key, so a check is never paid twice. */
export function guardCreditKey(jobId: string, guardKey: string): string {
  return `${jobId}~guard~${guardKey}`;
}

/**
 * What a completed check earns its guard: the tokens (chat) or inputs (embeddings) it re-scored × the base
 * rate × the model's guard multiplier (`guardRewardMultiplierOf`) × the guard's tier multiplier. Always held
 * in escrow until its epoch closes: a guard's verdict is only ever tested by planted checks, at random, so
 * what it earned is forfeited if one catches it first. Planted checks are paid the same, or pay would tell
 * them apart.
 */
export function guardCreditPolicy(input: {
  guardKey: string;
  jobId: string;
  model: string;
  units: number;
  tier: Tier;
  catalog: readonly ModelCatalogEntry[];
  ratePerUnit: bigint;
}): CreditEntry {
  const model = findModel(input.catalog, input.model);
  const units = BigInt(input.units);
  return {
    taskId: guardCreditKey(input.jobId, input.guardKey),
    publicKey: input.guardKey,
    model: input.model,
    units,
    amount:
      model === undefined
        ? 0n
        : creditFor({ units, ratePerUnit: input.ratePerUnit, modelMultiplier: guardRewardMultiplierOf(model), tier: input.tier }),
    escrow: true,
  };
}
