// Type-level test, checked by `npm run typecheck` (part of `npm test`): the exported ABIs are literal enough
// for viem to infer function names, argument and return types, as the coordinator relies on.
import type { Address, ContractFunctionArgs, ContractFunctionName, ContractFunctionReturnType, Hex } from 'viem';
import { rewardDistributorAbi, rewardDistributorBytecode, rewardTokenAbi, rewardTokenBytecode } from '../src/index.ts';

type DistributorWrite = ContractFunctionName<typeof rewardDistributorAbi, 'nonpayable'>;
type DistributorRead = ContractFunctionName<typeof rewardDistributorAbi, 'view'>;

export const writes: DistributorWrite[] = ['postEpoch', 'claim', 'withdrawSurplus', 'associateToken', 'grantRole'];
export const reads: DistributorRead[] = ['isClaimed', 'epochRoot', 'epochInfo', 'totalOutstanding', 'surplus', 'token'];
// @ts-expect-error: not a function of the distributor
export const unknownWrite: DistributorWrite = 'mint';
// @ts-expect-error: a view, not a write
export const readAsWrite: DistributorWrite = 'isClaimed';

export const postArgs: ContractFunctionArgs<typeof rewardDistributorAbi, 'nonpayable', 'postEpoch'> = [1n, '0x00', 10n];
// @ts-expect-error: the epoch is a uint64, a bigint for viem
export const postArgsWithNumber: ContractFunctionArgs<typeof rewardDistributorAbi, 'nonpayable', 'postEpoch'> = [1, '0x00', 10n];
export const claimArgs: ContractFunctionArgs<typeof rewardDistributorAbi, 'nonpayable', 'claim'> = [
  1n,
  '0x0000000000000000000000000000000000000001',
  5n,
  [],
];

export const claimed: ContractFunctionReturnType<typeof rewardDistributorAbi, 'view', 'isClaimed'> = true;
export const info: ContractFunctionReturnType<typeof rewardDistributorAbi, 'view', 'epochInfo'> = ['0x00', 1n, 0n];
export const tokenAddress: ContractFunctionReturnType<typeof rewardDistributorAbi, 'view', 'token'> =
  '0x0000000000000000000000000000000000000001' satisfies Address;
export const decimals: ContractFunctionReturnType<typeof rewardTokenAbi, 'pure', 'decimals'> = 8;
export const balance: ContractFunctionReturnType<typeof rewardTokenAbi, 'view', 'balanceOf'> = 1n;
export const bytecodes: Hex[] = [rewardTokenBytecode, rewardDistributorBytecode];
