import { rewardDistributorAbi, rewardTokenAbi } from '@tessera/contracts';
import { formatAmount } from '@tessera/shared';
import type { ClaimableEpoch } from '@tessera/shared';
import { decodeErrorResult, encodeFunctionData, getAddress, isHex } from 'viem';
import type { Hex } from 'viem';

/** Gas for a claim when the mirror node gave no estimate: a Merkle proof check, two stores, one token transfer. */
export const DEFAULT_CLAIM_GAS = 250_000;
/** Hedera's per-transaction gas ceiling. */
export const MAX_CLAIM_GAS = 15_000_000;

function hex(text: string, what: string): Hex {
  if (!isHex(text, { strict: true })) throw new TypeError(`${what} is not hex: ${text.slice(0, 20)}`);
  return text;
}

/** The arguments of `RewardDistributor.claim(uint64 epoch, address account, uint256 amount, bytes32[] proof)`. */
export function claimCallArgs(claim: ClaimableEpoch): readonly [bigint, `0x${string}`, bigint, readonly Hex[]] {
  return [BigInt(claim.epoch), getAddress(claim.account), BigInt(claim.amount), claim.proof.map((node, i) => hex(node, `proof[${i}]`))];
}

/**
 * The ABI-encoded `claim` call for one epoch's claim, as the coordinator gave it.
 *
 * @example encodeClaimCall({ epoch: 3, account: '0x…', amount: '120000', proof: ['0x…'], … }) // '0xa2f94bd3…'
 */
export function encodeClaimCall(claim: ClaimableEpoch): Hex {
  return encodeFunctionData({ abi: rewardDistributorAbi, functionName: 'claim', args: claimCallArgs(claim) });
}

/**
 * The gas limit to send: the estimate plus 20 % (Hedera charges at least 80 % of the limit, so no more
 * padding than that), or `DEFAULT_CLAIM_GAS` without one; never above Hedera's ceiling.
 */
export function claimGasLimit(estimate: bigint | null): number {
  if (estimate === null || estimate <= 0n) return DEFAULT_CLAIM_GAS;
  const padded = (estimate * 6n) / 5n + 1n;
  return Number(padded > BigInt(MAX_CLAIM_GAS) ? BigInt(MAX_CLAIM_GAS) : padded);
}

const errorAbi = [...rewardDistributorAbi, ...rewardTokenAbi];

/** What each custom error of the distributor (and of the token, which a transfer bubbles up) means for a claim. */
const REVERT_ADVICE: Record<string, (args: readonly unknown[]) => string> = {
  UnknownEpoch: ([epoch]) => `epoch ${String(epoch)} has no root on chain yet; wait until the coordinator posts it.`,
  AlreadyClaimed: ([epoch]) => `epoch ${String(epoch)} was already claimed for this account.`,
  InvalidProof: () =>
    "the proof does not match the posted root (wrong amount, account or epoch); reload the page to get the coordinator's current proof.",
  EpochTotalExceeded: ([epoch]) => `epoch ${String(epoch)} has paid out its whole posted total; tell the coordinator's operator.`,
  SafeERC20FailedOperation: () =>
    'the token transfer failed. With an HTS token, the account must be associated with it first (HashPack: Tokens → associate).',
  ERC20InsufficientBalance: ([, balance, needed]) =>
    `the distributor holds ${typeof balance === 'bigint' ? formatAmount(balance) : '?'} TSRA but needs ${typeof needed === 'bigint' ? formatAmount(needed) : '?'}; tell the coordinator's operator.`,
  ReentrancyGuardReentrantCall: () => 'the token called back into the distributor; the claim was refused.',
  Error: ([reason]) => `reverted: ${String(reason)}`,
  Panic: ([code]) => `the contract panicked (code ${String(code)}).`,
};

/**
 * Revert data from the distributor in plain words, with the custom error's name first
 * (`"InvalidProof: the proof does not match…"`); null for data that names no known error.
 */
export function distributorRevertText(data: string): string | null {
  if (!isHex(data, { strict: true }) || data.length < 10) return null;
  try {
    const decoded = decodeErrorResult({ abi: errorAbi, data });
    const args: readonly unknown[] = decoded.args ?? [];
    const advice = REVERT_ADVICE[decoded.errorName];
    return `${decoded.errorName}: ${advice === undefined ? args.map(String).join(', ') : advice(args)}`;
  } catch {
    return null;
  }
}
