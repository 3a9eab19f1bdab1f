import { TIER_REWARD_MULTIPLIER, formatAmount } from '@tessera/shared';
import type { CreditEntry, CreditStatus, EpochView, RewardsView, Tier } from '@tessera/shared';

/** The token's symbol on every page. */
export const TOKEN_SYMBOL = 'TSRA';

/** An amount in the smallest unit (a decimal string, as the API sends it) in TSRA: `"120000"` → `"0.0012"`. */
export function formatTsra(amount: string | bigint): string {
  return formatAmount(typeof amount === 'bigint' ? amount : BigInt(amount));
}

/** `0x1234…abcd`: enough of a hash or address to recognise it; the full value goes in a title. */
export function shortHex(value: string, head = 6, tail = 4): string {
  return value.length <= head + tail + 1 ? value : `${value.slice(0, head)}…${value.slice(-tail)}`;
}

export type BalanceKind = keyof RewardsView['balances'];

/** The order the panel lists balances in, and what each one means for the volunteer. */
export const BALANCE_KINDS: readonly BalanceKind[] = ['escrowed', 'credited', 'claimable', 'claimed', 'slashed'];

export const BALANCE_EXPLANATIONS: Record<BalanceKind, string> = {
  escrowed: 'Held until a guard confirms your work or the epoch closes; lost if a result of yours is found wrong.',
  credited: 'Earned and safe: waits for the epoch to close and its Merkle root to be posted on chain.',
  claimable: 'Settled on chain for your linked account: press Claim to have the distributor pay it out.',
  claimed: 'Paid out by the distributor to your linked account.',
  slashed: 'Escrow lost because a guard found a result of this key wrong.',
};

/** How a credit entry's status reads in the history, with a badge tone. */
export const CREDIT_STATUS_TEXT: Record<CreditStatus, { label: string; tone: 'ok' | 'info' | 'warn' | 'bad' | 'plain' }> = {
  escrow: { label: 'escrowed', tone: 'warn' },
  credited: { label: 'credited', tone: 'info' },
  settled: { label: 'settled', tone: 'ok' },
  slashed: { label: 'slashed', tone: 'bad' },
};

/** `"42 min 10 s"` until `endsAt`, `"closing…"` once it is past. */
export function formatTimeLeft(endsAt: number, now: number): string {
  const seconds = Math.floor((endsAt - now) / 1000);
  if (seconds <= 0) return 'closing…';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

/** The open epoch of `GET /api/v1/epochs` (the coordinator keeps exactly one), or null. */
export function openEpoch(epochs: readonly EpochView[]): EpochView | null {
  return epochs.find((epoch) => epoch.status === 'open') ?? null;
}

/** Closed and posted epochs, newest first, at most `limit`. */
export function settledEpochs(epochs: readonly EpochView[], limit = 8): EpochView[] {
  return epochs
    .filter((epoch) => epoch.status !== 'open')
    .sort((a, b) => b.epoch - a.epoch)
    .slice(0, limit);
}

/**
 * The coordinator's default `rewardPerUnit` (smallest units per generated token or embedded input,
 * before multipliers). No endpoint tells the page the rate, so it is read back from this key's own credit
 * (`rateFromHistory`) once there is some, and this default stands in until then.
 */
export const DEFAULT_RATE_PER_UNIT = 1000n;

/**
 * The base rate the coordinator paid this key, undoing the model and tier multipliers of its largest
 * credit entry (the largest, so the rounding down of `creditFor` weighs least). Null without usable credit.
 */
export function rateFromHistory(
  history: readonly CreditEntry[],
  modelMultiplier: (model: string) => number | null,
  tier: Tier,
): bigint | null {
  let best: { units: bigint; amount: bigint; multiplier: number } | null = null;
  for (const entry of history) {
    const multiplier = modelMultiplier(entry.model);
    const units = BigInt(entry.units);
    if (multiplier === null || multiplier <= 0 || units === 0n) continue;
    if (best === null || units > best.units) best = { units, amount: BigInt(entry.amount), multiplier };
  }
  const tierMultiplier = TIER_REWARD_MULTIPLIER[tier];
  if (best === null || tierMultiplier <= 0) return null;
  const rate = Number(best.amount) / (Number(best.units) * best.multiplier * tierMultiplier);
  return Number.isFinite(rate) ? BigInt(Math.round(rate)) : null;
}

/** `n` rounded to two significant digits, so an estimate does not pretend to eight decimals. */
function roughly(n: number): bigint {
  if (n <= 0 || !Number.isFinite(n)) return 0n;
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return BigInt(Math.round(n / scale) * scale);
}

export interface EarningsEstimateInput {
  /** This device's measured generation speed, null before it served anything. */
  tokensPerSecond: number | null;
  /** From `rateFromHistory`, or null to use `DEFAULT_RATE_PER_UNIT`. */
  ratePerUnit: bigint | null;
  /** The catalog's `rewardMultiplier` of each model chosen. */
  modelMultipliers: readonly number[];
  tier: Tier;
}

/**
 * One sentence a volunteer can act on: about how much lending this device earns, in TSRA, for the
 * models chosen, assuming it is kept busy (the network decides how busy).
 */
export function earningsEstimate(input: EarningsEstimateInput): string {
  if (input.modelMultipliers.length === 0) return 'Choose a model to see what lending it would earn.';
  const average = input.modelMultipliers.reduce((sum, m) => sum + m, 0) / input.modelMultipliers.length;
  const perToken = Number(input.ratePerUnit ?? DEFAULT_RATE_PER_UNIT) * average * TIER_REWARD_MULTIPLIER[input.tier];
  const rate = input.ratePerUnit === null ? "at the coordinator's default rate" : 'at the current rate';
  if (input.tokensPerSecond === null || input.tokensPerSecond <= 0) {
    return `About ${formatTsra(roughly(perToken * 1000))} ${TOKEN_SYMBOL} per 1,000 tokens served ${rate} for the models you chose; an hourly figure follows once this device has served a task and its speed is measured.`;
  }
  const perHour = perToken * input.tokensPerSecond * 3600;
  return `About ${formatTsra(roughly(perHour))} ${TOKEN_SYMBOL}/hour ${rate} for the models you chose, while kept busy at this device's ${input.tokensPerSecond.toFixed(1)} tokens/s.`;
}

/** Why a chosen model pays less than the full rate, or null when none does. */
export function lowPayNote(models: readonly { id: string; rewardMultiplier: number }[]): string | null {
  const low = models.filter((model) => model.rewardMultiplier < 1);
  if (low.length === 0) return null;
  const list = low.map((model) => `${model.id} pays ×${model.rewardMultiplier}`).join(', ');
  const tiny = low.some((model) => model.rewardMultiplier <= 0.01);
  return `${list}${tiny ? ': tiny test models exist to check that the network works, and their answers are worth little' : ': small models do less work per token'}. Choose a larger model to earn more.`;
}

/** How an answer's pay moves, in the order it happens. */
export const EARNINGS_FLOW =
  'Each answer you serve is paid into escrow until a guard confirms it or the epoch closes; then it is credited (safe). When the epoch settles on chain, credit becomes claimable by your linked wallet.';
