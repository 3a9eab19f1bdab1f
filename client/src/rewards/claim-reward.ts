import type { ClaimableEpoch, EvmAddress } from '@tessera/shared';
import type { WalletSigner } from '../wallet/wallet-signer.ts';
import { claimGasLimit, distributorRevertText, encodeClaimCall } from './claim-call.ts';
import { ClaimError, hederaStatusAdvice } from './claim-errors.ts';
import { MirrorNodeError } from './mirror-contracts.ts';
import type { MirrorContracts } from './mirror-contracts.ts';

/** Where a claim is: checked on the mirror node, waiting for the wallet, waiting for the record. */
export type ClaimStep = 'checking' | 'signing' | 'confirming';

export interface ClaimRewardOptions {
  claim: ClaimableEpoch;
  distributorAddress: EvmAddress;
  /** A connected wallet that can pay gas (`executeContractCall`): HashConnect. */
  signer: WalletSigner;
  /** Checks the call and estimates its gas before the wallet is asked, and reads the outcome; null: neither. */
  mirror: MirrorContracts | null;
  onStep?: (step: ClaimStep) => void;
  signal?: AbortSignal;
  /** How long to wait for the mirror node to report the transaction before leaving it to the coordinator, ms. */
  confirmTimeoutMs?: number;
  confirmPollMs?: number;
}

export interface ClaimReceipt {
  transactionId: string;
  /** True when the mirror node reported success; false when it had not reported yet (or there is none). */
  confirmed: boolean;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function revertText(data: string | null, fallback: string): string {
  return (data === null ? null : distributorRevertText(data)) ?? (fallback || 'no reason given');
}

/**
 * Claims one epoch's reward: `RewardDistributor.claim(epoch, account, amount, proof)` as a Hedera
 * `ContractExecuteTransaction` from the connected wallet, which pays the gas; the reward goes to
 * `claim.account` whoever pays. With a mirror node the call is first run there (`estimate: true`), so a
 * claim the distributor would refuse is reported with its custom error before anything is paid, and the
 * gas limit is the estimate plus 20 %; after sending, the mirror node's record says whether it succeeded.
 * Rejects with `ClaimError` or the signer's `WalletSignerError`.
 */
export async function claimReward(options: ClaimRewardOptions): Promise<ClaimReceipt> {
  const { claim, distributorAddress, signer, mirror, signal } = options;
  if (signer.executeContractCall === undefined) {
    throw new ClaimError('This wallet cannot send contract calls. Connect a Hedera wallet (HashPack) to claim.');
  }
  const callData = encodeClaimCall(claim);

  options.onStep?.('checking');
  let estimate: bigint | null = null;
  if (mirror !== null) {
    try {
      const outcome = await mirror.estimateGas({ to: distributorAddress, data: callData }, signal);
      if (outcome.kind === 'reverted') {
        throw new ClaimError(
          `The distributor would refuse this claim, so nothing was sent: ${revertText(outcome.data, outcome.detail || outcome.status)}`,
        );
      }
      estimate = outcome.gas;
    } catch (error) {
      // The mirror node is a convenience: without it, send with the default gas and let the chain decide.
      if (!(error instanceof MirrorNodeError)) throw error;
    }
  }

  options.onStep?.('signing');
  const { transactionId } = await signer.executeContractCall({
    contractEvmAddress: distributorAddress,
    callData,
    gas: claimGasLimit(estimate),
  });
  if (mirror === null) return { transactionId, confirmed: false };

  options.onStep?.('confirming');
  const deadline = Date.now() + (options.confirmTimeoutMs ?? 30_000);
  for (;;) {
    const result = await mirror.result(transactionId, signal).catch((error: unknown) => {
      if (error instanceof MirrorNodeError) return { kind: 'pending' } as const;
      throw error;
    });
    if (result.kind === 'success') return { transactionId, confirmed: true };
    if (result.kind === 'failed') {
      const reason =
        result.status === 'CONTRACT_REVERT_EXECUTED'
          ? revertText(result.data, result.status)
          : (hederaStatusAdvice(result.status) ?? result.status);
      throw new ClaimError(`The claim transaction ${transactionId} failed: ${reason}`);
    }
    if (Date.now() >= deadline) return { transactionId, confirmed: false };
    await sleep(options.confirmPollMs ?? 2000, signal);
  }
}
