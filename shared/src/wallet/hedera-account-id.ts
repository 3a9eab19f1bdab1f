import { z } from 'zod';

const MAX_SHARD = 2n ** 32n - 1n;
const MAX_REALM_OR_NUM = 2n ** 63n - 1n;

const ACCOUNT_ID = /^(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})$/;

/** Whether the parts fit the long-zero address: shard in 4 bytes, realm and num in 8 (int64). */
function inRange(text: string): boolean {
  const match = ACCOUNT_ID.exec(text);
  if (match === null) return true; // the pattern check reports it
  const [shard, realm, num] = match.slice(1).map((part) => BigInt(part));
  return (
    shard !== undefined &&
    realm !== undefined &&
    num !== undefined &&
    shard <= MAX_SHARD &&
    realm <= MAX_REALM_OR_NUM &&
    num <= MAX_REALM_OR_NUM
  );
}

/**
 * A Hedera account id, `shard.realm.num` (`0.0.1234`), as wallets and the mirror node write it. No
 * checksum suffix (`0.0.1234-abcde`), no alias form (`0.0.<public key>`), no leading zeros: the
 * coordinator stores one spelling per account.
 */
export const hederaAccountIdSchema = z
  .string()
  .regex(ACCOUNT_ID, 'a Hedera account id: shard.realm.num, e.g. 0.0.1234')
  .refine(inRange, 'a Hedera account id whose shard fits 4 bytes and realm and num 8')
  .brand<'HederaAccountId'>();
export type HederaAccountId = z.infer<typeof hederaAccountIdSchema>;

export interface HederaAccountParts {
  shard: bigint;
  realm: bigint;
  num: bigint;
}

export function hederaAccountParts(accountId: HederaAccountId): HederaAccountParts {
  const [shard = 0n, realm = 0n, num = 0n] = accountId.split('.').map((part) => BigInt(part));
  return { shard, realm, num };
}

/** An EVM address as Tessera writes it: `0x` and 20 bytes in lowercase hex (no EIP-55 checksum). */
export const evmAddressSchema = z.templateLiteral(
  ['0x', z.string().regex(/^[0-9a-f]{40}$/)],
  'an EVM address: 0x and 40 lowercase hex digits',
);
export type EvmAddress = z.infer<typeof evmAddressSchema>;

/**
 * The "long-zero" EVM address of an account (HIP-583's account-num alias): shard in 4 bytes, realm in
 * 8, num in 8, big-endian — `0.0.1234` is `0x00000000000000000000000000000000000004d2`. It is the
 * address an ED25519 account has on Hedera's EVM (the same as `AccountId.toSolidityAddress()`).
 */
export function longZeroEvmAddress(accountId: HederaAccountId): EvmAddress {
  const { shard, realm, num } = hederaAccountParts(accountId);
  return `0x${shard.toString(16).padStart(8, '0')}${realm.toString(16).padStart(16, '0')}${num.toString(16).padStart(16, '0')}`;
}
