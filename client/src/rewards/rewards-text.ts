import { formatAmount } from '@tessera/shared';
import type { CreditStatus, EpochView, RewardsView } from '@tessera/shared';

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
