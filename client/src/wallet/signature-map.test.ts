import { AccountId, PrivateKey, SignerSignature } from '@hashgraph/sdk';
import { signatureMapToBase64String, signerSignaturesToSignatureMap } from '@hashgraph/hedera-wallet-connect';
import { describe, expect, it } from 'vitest';
import { decodeSignatureMap, signatureMapFromBase64 } from './signature-map.ts';

describe('SignatureMap decoding', () => {
  it("reads what the wallets' library encodes, for both key types and several pairs", () => {
    const ed = PrivateKey.generateED25519();
    const ec = PrivateKey.generateECDSA();
    const message = new TextEncoder().encode('hello');
    const signatures = [ed, ec].map(
      (key) => new SignerSignature({ publicKey: key.publicKey, signature: key.sign(message), accountId: AccountId.fromString('0.0.7') }),
    );
    const pairs = signatureMapFromBase64(signatureMapToBase64String(signerSignaturesToSignatureMap(signatures)));
    expect(pairs).toHaveLength(2);
    expect(pairs[0]?.pubKeyPrefix).toEqual(ed.publicKey.toBytesRaw());
    expect(pairs[0]?.ed25519).toEqual(signatures[0]?.signature);
    expect(pairs[0]?.ecdsaSecp256k1).toBeNull();
    expect(pairs[1]?.pubKeyPrefix).toEqual(ec.publicKey.toBytesRaw());
    expect(pairs[1]?.ecdsaSecp256k1).toEqual(signatures[1]?.signature);
  });

  it('skips fields it does not know and refuses truncated input', () => {
    // sigPair { pubKeyPrefix: [1], 99 (varint): 5, RSA_3072 (4): [2] }, then an unknown top-level fixed32.
    const pair = [0x0a, 0x01, 0x01, 0x98, 0x06, 0x05, 0x22, 0x01, 0x02];
    const bytes = new Uint8Array([0x0a, pair.length, ...pair, 0x15, 1, 2, 3, 4]);
    expect(decodeSignatureMap(bytes)).toEqual([{ pubKeyPrefix: new Uint8Array([1]), ed25519: null, ecdsaSecp256k1: null }]);
    expect(() => decodeSignatureMap(new Uint8Array([0x0a, 0x05, 0x0a]))).toThrow(RangeError);
    expect(() => decodeSignatureMap(new Uint8Array([0x0a]))).toThrow(RangeError);
    expect(() => signatureMapFromBase64('not base64!')).toThrow(RangeError);
  });
});
