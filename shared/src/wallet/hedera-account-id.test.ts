import { describe, expect, it } from 'vitest';
import { evmAddressSchema, hederaAccountIdSchema, hederaAccountParts, longZeroEvmAddress } from './hedera-account-id.ts';

describe('Hedera account id', () => {
  it('takes shard.realm.num and refuses other spellings', () => {
    for (const id of ['0.0.1234', '0.0.0', '1.2.3', `4294967295.${2n ** 63n - 1n}.${2n ** 63n - 1n}`])
      expect(hederaAccountIdSchema.safeParse(id).success, id).toBe(true);
    for (const id of [
      '0.0.01234',
      '0.0.1234-abcde',
      '0.0',
      '0.0.1.2',
      '-0.0.1',
      '0.0.abc',
      ' 0.0.1',
      `0.0.${2n ** 63n}`,
      '4294967296.0.1',
      `0.0.${'1'.repeat(25)}`,
    ]) {
      expect(hederaAccountIdSchema.safeParse(id).success, id).toBe(false);
    }
  });

  it('splits into bigint parts', () => {
    expect(hederaAccountParts(hederaAccountIdSchema.parse('1.2.1234'))).toEqual({ shard: 1n, realm: 2n, num: 1234n });
  });
});

describe('long-zero EVM address', () => {
  // The same bytes as @hashgraph/sdk's AccountId.toSolidityAddress().
  it('is shard (4 bytes), realm (8), num (8), big-endian, in lowercase hex', () => {
    expect(longZeroEvmAddress(hederaAccountIdSchema.parse('0.0.1234'))).toBe('0x00000000000000000000000000000000000004d2');
    expect(longZeroEvmAddress(hederaAccountIdSchema.parse('1.2.1234'))).toBe('0x00000001000000000000000200000000000004d2');
    expect(longZeroEvmAddress(hederaAccountIdSchema.parse(`4294967295.0.${2n ** 63n - 1n}`))).toBe(
      '0xffffffff00000000000000007fffffffffffffff',
    );
  });

  it('passes the EVM address schema, which wants lowercase', () => {
    expect(evmAddressSchema.safeParse(longZeroEvmAddress(hederaAccountIdSchema.parse('0.0.5'))).success).toBe(true);
    expect(evmAddressSchema.safeParse('0xABCDEF0000000000000000000000000000000000').success).toBe(false);
    expect(evmAddressSchema.safeParse('0x1234').success).toBe(false);
  });
});
