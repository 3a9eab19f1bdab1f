import { AccountId, ContractExecuteTransaction, ContractId, TransactionId } from '@hashgraph/sdk';
import { hexToBytes } from '@tessera/shared';
import type { HederaAccountId, HederaNetwork } from '@tessera/shared';
import type { ContractCall } from './wallet-signer.ts';

/**
 * Consensus nodes a wallet may submit to; the same default as @hashgraph/hedera-wallet-connect's
 * `transactionToBase64String` (a local network has one node, 0.0.3).
 */
const NODE_ACCOUNT_NUMS: Record<HederaNetwork, readonly number[]> = { mainnet: [3, 4, 5], testnet: [3, 4, 5], local: [3] };

/** Standard base64 (with `+`, `/` and padding), as `hedera_signAndExecuteTransaction` takes `transactionList`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * A frozen `ContractExecuteTransaction` paid by `payer`, as the bytes of a `TransactionList` in base64:
 * what HIP-820's `hedera_signAndExecuteTransaction` carries. The contract is named by its EVM address
 * (`ContractId.fromEvmAddress`: a long-zero address becomes `0.0.N`, any other is sent as `evm_address`).
 * The transaction id is made now, so the wallet has the network's validity window (120 s) to send it.
 */
export function contractCallTransactionBase64(call: ContractCall, payer: HederaAccountId, network: HederaNetwork): string {
  const transaction = new ContractExecuteTransaction()
    .setContractId(ContractId.fromEvmAddress(0, 0, call.contractEvmAddress))
    .setGas(call.gas)
    .setFunctionParameters(hexToBytes(call.callData.slice(2)))
    .setTransactionId(TransactionId.generate(AccountId.fromString(payer)))
    .setNodeAccountIds(NODE_ACCOUNT_NUMS[network].map((num) => new AccountId(num)))
    .freeze();
  return bytesToBase64(transaction.toBytes());
}
