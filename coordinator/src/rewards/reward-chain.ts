import { rewardDistributorAbi } from '@tessera/contracts';
import { createPublicClient, createWalletClient, defineChain, http, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { EvmAddress } from './account-directory.ts';

/** The settlement contract as the coordinator uses it: Hedera's JSON-RPC relay in production, a local EVM node in tests. */
export interface RewardChain {
  /** Posts an epoch's root; resolves with the transaction hash once it is mined successfully. */
  postEpoch(epoch: number, root: Hex, total: bigint): Promise<Hex>;
  /** What the distributor holds for `epoch`: root `0x00…00` and total 0 when nothing is posted. */
  postedEpoch(epoch: number): Promise<{ root: Hex; total: bigint }>;
  /** The chain's current height. */
  blockNumber(): Promise<bigint>;
  /** The transaction that posted `epoch` (its `EpochPosted` event), searched from `fromBlock`; null when not found. */
  findPostTransaction(epoch: number, fromBlock: bigint): Promise<Hex | null>;
  isClaimed(epoch: number, account: EvmAddress): Promise<boolean>;
}

/** The root `postedEpoch` answers for an epoch that has none. */
export const NO_ROOT: Hex = `0x${'0'.repeat(64)}`;

export interface ViemRewardChainOptions {
  rpcUrl: string;
  distributorAddress: EvmAddress;
  /** The poster's key (holds the distributor's poster role). Never logged. */
  privateKey: Hex;
}

/** `RewardChain` over JSON-RPC with viem. */
export async function createViemRewardChain(options: ViemRewardChainOptions): Promise<RewardChain> {
  const transport = http(options.rpcUrl, { retryCount: 2, timeout: 30_000 });
  const probe = createPublicClient({ transport });
  const chain = defineChain({
    id: await probe.getChainId(),
    name: 'tessera-settlement',
    nativeCurrency: { name: 'native', symbol: 'NATIVE', decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport });
  const walletClient = createWalletClient({ chain, transport, account: privateKeyToAccount(options.privateKey) });
  return {
    async postEpoch(epoch, root, total) {
      const hash = await walletClient.writeContract({
        address: options.distributorAddress,
        abi: rewardDistributorAbi,
        functionName: 'postEpoch',
        args: [BigInt(epoch), root, total],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`postEpoch(${epoch}) reverted in ${hash}`);
      return hash;
    },
    async postedEpoch(epoch) {
      const [root, total] = await publicClient.readContract({
        address: options.distributorAddress,
        abi: rewardDistributorAbi,
        functionName: 'epochInfo',
        args: [BigInt(epoch)],
      });
      return { root, total };
    },
    blockNumber: () => publicClient.getBlockNumber(),
    async findPostTransaction(epoch, fromBlock) {
      const logs = await publicClient.getContractEvents({
        address: options.distributorAddress,
        abi: rewardDistributorAbi,
        eventName: 'EpochPosted',
        args: { epoch: BigInt(epoch) },
        fromBlock,
        toBlock: 'latest',
      });
      return logs[0]?.transactionHash ?? null;
    },
    async isClaimed(epoch, account) {
      return publicClient.readContract({
        address: options.distributorAddress,
        abi: rewardDistributorAbi,
        functionName: 'isClaimed',
        args: [BigInt(epoch), account],
      });
    },
  };
}
