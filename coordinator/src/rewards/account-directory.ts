/** An EVM address, lower or mixed case. */
export type EvmAddress = `0x${string}`;

export interface LinkedAccount {
  accountId: string;
  evmAddress: EvmAddress;
}

/** Which Hedera account a tab identity (its Ed25519 key) linked; the wallet link fills it. */
export interface AccountDirectory {
  linkedAccount(publicKey: string): LinkedAccount | undefined;
}
