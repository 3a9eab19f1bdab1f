import { describe, expect, it } from 'vitest';
import { hederaAccountIdSchema } from './hedera-account-id.ts';
import {
  HEDERA_SIGNED_MESSAGE_PREFIX,
  hederaSignedMessageBytes,
  prefixHederaMessage,
  walletLinkMessage,
  walletLinkProofBytes,
  walletMessageSchema,
} from './hedera-signed-message.ts';
import { bytesToHex, hexToBytes } from './hex.ts';

describe('Hedera signed-message prefix', () => {
  it('is 0x19, "Hedera Signed Message:\\n", the length in decimal, the message', () => {
    expect(prefixHederaMessage('hello')).toBe('\x19Hedera Signed Message:\n5hello');
    const bytes = hederaSignedMessageBytes('hello');
    expect(bytes[0]).toBe(0x19);
    expect(new TextDecoder().decode(bytes)).toBe(`${HEDERA_SIGNED_MESSAGE_PREFIX}5hello`);
    expect(prefixHederaMessage('')).toBe('\x19Hedera Signed Message:\n0');
  });

  it('counts UTF-16 code units as the wallets do (JavaScript length), then encodes UTF-8', () => {
    expect(prefixHederaMessage('héllo')).toBe('\x19Hedera Signed Message:\n5héllo');
    expect(hederaSignedMessageBytes('é').length).toBe(HEDERA_SIGNED_MESSAGE_PREFIX.length + 1 + 2);
  });
});

describe('wallet link message', () => {
  const fields = {
    publicKey: 'A'.repeat(43),
    network: 'testnet',
    challengeId: '6f1c2d8e-0b7a-4c1e-9a55-3f2b8c9d0e1f',
    nonce: 'n'.repeat(43),
    expiresAt: Date.UTC(2025, 5, 1, 12, 5),
  };

  it('names the key, network, challenge, nonce and expiry, in printable ASCII', () => {
    const message = walletLinkMessage(fields);
    expect(walletMessageSchema.safeParse(message).success).toBe(true);
    expect(message).toContain(`Browser key: ${fields.publicKey}`);
    expect(message).toContain('Network: testnet');
    expect(message).toContain(`Challenge: ${fields.challengeId}`);
    expect(message).toContain(`Nonce: ${fields.nonce}`);
    expect(message).toContain('Expires: 2025-06-01T12:05:00.000Z');
    // ASCII: the length in the prefix is the byte length, whatever a wallet counts.
    expect(new TextEncoder().encode(message).length).toBe(message.length);
  });

  it('refuses messages a wallet could count differently', () => {
    expect(walletMessageSchema.safeParse('héllo').success).toBe(false);
    expect(walletMessageSchema.safeParse('tab\there').success).toBe(false);
  });

  it('binds the tab proof to the key, the challenge and the account', () => {
    const accountId = hederaAccountIdSchema.parse('0.0.1234');
    const proof = new TextDecoder().decode(
      walletLinkProofBytes({ publicKey: fields.publicKey, challengeId: fields.challengeId, accountId }),
    );
    expect(proof).toBe(
      `{"accountId":"0.0.1234","challengeId":"${fields.challengeId}","publicKey":"${fields.publicKey}","type":"wallet:link"}`,
    );
  });
});

describe('hex', () => {
  it('round-trips and refuses odd or non-hex text', () => {
    const bytes = new Uint8Array([0, 1, 0xab, 0xff]);
    expect(bytesToHex(bytes)).toBe('0001abff');
    expect(hexToBytes('0001ABff')).toEqual(bytes);
    expect(() => hexToBytes('abc')).toThrow();
    expect(() => hexToBytes('zz')).toThrow();
  });
});
