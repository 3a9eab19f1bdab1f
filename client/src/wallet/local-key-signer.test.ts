import { PrivateKey } from '@hashgraph/sdk';
import { prefixMessageToSign } from '@hashgraph/hedera-wallet-connect';
import { hederaAccountIdSchema, prefixHederaMessage } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { LocalKeySigner, parseLocalPrivateKey } from './local-key-signer.ts';
import { describeWalletSigner } from '../../test-support/wallet-signer-compliance.ts';

const accountId = hederaAccountIdSchema.parse('0.0.1234');

for (const [name, make] of [
  ['Ed25519 key', () => PrivateKey.generateED25519()],
  ['ECDSA secp256k1 key', () => PrivateKey.generateECDSA()],
] as const) {
  describeWalletSigner(`LocalKeySigner, ${name}`, async () => {
    const key = make();
    return {
      signer: new LocalKeySigner({ accountId, privateKeyDer: key.toStringDer(), network: 'testnet' }),
      accountId,
      accountKey: key.publicKey,
    };
  });
}

describe("the Hedera prefix agrees with the wallets' library", () => {
  it("is hedera-wallet-connect's prefixMessageToSign, which hashconnect 3 uses", () => {
    for (const message of ['hello', '', 'Tessera wallet link\n\nBrowser key: abc', 'héllo wörld', '🙂'])
      expect(prefixHederaMessage(message)).toBe(prefixMessageToSign(message));
  });
});

describe('local test keys', () => {
  it('take DER hex for both key types, with or without 0x', () => {
    const ed = PrivateKey.generateED25519();
    const ec = PrivateKey.generateECDSA();
    expect(parseLocalPrivateKey(ed.toStringDer()).publicKey.equals(ed.publicKey)).toBe(true);
    expect(parseLocalPrivateKey(`0x${ec.toStringDer()}`).publicKey.equals(ec.publicKey)).toBe(true);
  });

  it('refuse raw keys (Ed25519 or ECDSA cannot be told apart) and garbage', () => {
    expect(() => parseLocalPrivateKey(PrivateKey.generateECDSA().toStringRaw())).toThrow(/raw 32-byte key/);
    expect(() => parseLocalPrivateKey('zz')).toThrow(/not a DER-encoded/);
    expect(() => parseLocalPrivateKey(`30${'00'.repeat(50)}`)).toThrow(/not a DER-encoded/);
    expect(() => new LocalKeySigner({ accountId, privateKeyDer: 'abc', network: 'testnet' })).toThrow(
      expect.objectContaining({ reason: 'invalid_key' }),
    );
  });
});
