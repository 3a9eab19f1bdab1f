import { z } from 'zod';
import type { TaskOutput, TaskUsage } from '../task.ts';
import { TIER_REWARD_MULTIPLIER, type Tier } from '../verification/reputation.ts';

/** Token amounts travel as decimal strings of the smallest unit (8 decimals, like tinybars). */
export const amountSchema = z.string().regex(/^\d{1,40}$/, 'an amount in the smallest unit, as a decimal string');
export const TOKEN_DECIMALS = 8;

/** Multipliers are applied in thousandths so that all money arithmetic stays in bigint. */
const MILLI = 1000n;

function milli(multiplier: number): bigint {
  if (!Number.isFinite(multiplier) || multiplier < 0) throw new RangeError(`invalid multiplier ${multiplier}`);
  return BigInt(Math.round(multiplier * 1000));
}

/**
 * Verified units of work in a result: generated tokens for chat, embedded inputs for embeddings. Prompt
 * tokens are not paid: a worker could otherwise be paid for the caller's input.
 */
export function workUnits(output: TaskOutput, usage: TaskUsage): bigint {
  return output.kind === 'chat' ? BigInt(usage.completionTokens) : BigInt(output.vectors.length);
}

/**
 * Credit for one result: units × base rate × model multiplier × tier multiplier, rounded down to the
 * smallest unit.
 *
 * @example creditFor({ units: 12n, ratePerUnit: 1000n, modelMultiplier: 1, tier: 'trusted' }) // 12000n
 */
export function creditFor(input: { units: bigint; ratePerUnit: bigint; modelMultiplier: number; tier: Tier }): bigint {
  return (input.units * input.ratePerUnit * milli(input.modelMultiplier) * milli(TIER_REWARD_MULTIPLIER[input.tier])) / (MILLI * MILLI);
}

/** "1234.5678" for 123456780000n with 8 decimals; exact, no floating point. */
export function formatAmount(amount: bigint, decimals = TOKEN_DECIMALS): string {
  const scale = 10n ** BigInt(decimals);
  const whole = amount / scale;
  const fraction = (amount % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return fraction.length > 0 ? `${whole}.${fraction}` : whole.toString();
}

/**
 * A guard's share of a worker's pay per unit when the catalog names none: re-scoring is one batched prefill
 * pass, several times cheaper per token in time than generating, so a quarter pays a guard's minute about
 * as well as a worker's.
 */
export const GUARD_REWARD_SHARE = 0.25;

/** The multiplier a guard's check of a model's work is paid at: the catalog's, else `GUARD_REWARD_SHARE` of the worker's. */
export function guardRewardMultiplierOf(model: { rewardMultiplier: number; guardRewardMultiplier?: number | undefined }): number {
  return model.guardRewardMultiplier ?? model.rewardMultiplier * GUARD_REWARD_SHARE;
}
