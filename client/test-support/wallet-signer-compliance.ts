import { AccountId, PublicKey, SignerSignature } from '@hashgraph/sdk';
import { signatureMapToBase64String, signerSignaturesToSignatureMap, verifyMessageSignature } from '@hashgraph/hedera-wallet-connect';
import { hederaSignedMessageBytes, hexToBytes, walletLinkMessage } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { WalletSignerError } from '../src/wallet/wallet-signer.ts';
import type { WalletSigner, WalletSignerEvent } from '../src/wallet/wallet-signer.ts';

export interface SignerUnderTest {
  signer: WalletSigner;
  /** The account the wallet is paired with. */
  accountId: string;
  /** The account's public key: what the coordinator reads from the mirror node. */
  accountKey: PublicKey;
}

const message = walletLinkMessage({
  publicKey: 'A'.repeat(43),
  network: 'testnet',
  challengeId: '6f1c2d8e-0b7a-4c1e-9a55-3f2b8c9d0e1f',
  nonce: 'n'.repeat(43),
  expiresAt: Date.UTC(2025, 5, 1),
});

/** The coordinator's check (coordinator/src/wallet/account-key.ts): the account key over the prefixed message. */
function coordinatorAccepts(accountKey: PublicKey, text: string, signatureHex: string): boolean {
  try {
    return accountKey.verify(hederaSignedMessageBytes(text), hexToBytes(signatureHex));
  } catch {
    return false;
  }
}

/**
 * What every `WalletSigner` must do (js-libp2p-style compliance suite): pair, report events, and sign
 * so that both the coordinator's check and the reference wallet library's `verifyMessageSignature`
 * (@hashgraph/hedera-wallet-connect, which hashconnect uses) accept the signature.
 */
export function describeWalletSigner(name: string, setup: () => Promise<SignerUnderTest>): void {
  describe(`WalletSigner compliance: ${name}`, () => {
    it('refuses to sign before it is connected', async () => {
      const { signer } = await setup();
      expect(signer.state).toBe('disconnected');
      await expect(signer.signMessage(message)).rejects.toMatchObject({ name: 'WalletSignerError', reason: 'not_connected' });
    });

    it('connects to its account and says so in an event', async () => {
      const { signer, accountId } = await setup();
      const events: WalletSignerEvent[] = [];
      signer.subscribe((event) => events.push(event));
      const connection = await signer.connect();
      expect(connection.accountId).toBe(accountId);
      expect(signer.state).toBe('connected');
      expect(events.at(-1)).toEqual({ type: 'wallet:connected', connection });
    });

    it('signs the Hedera-prefixed message with the account key, as the coordinator and hedera-wallet-connect check it', async () => {
      const { signer, accountKey, accountId } = await setup();
      await signer.connect();
      const signed = await signer.signMessage(message);
      expect(signed.signature).toMatch(/^[0-9a-f]{128}$/);
      expect(PublicKey.fromString(signed.publicKey).equals(accountKey)).toBe(true);
      expect(signed.publicKey).toBe(accountKey.toStringDer());
      expect(coordinatorAccepts(accountKey, message, signed.signature)).toBe(true);
      expect(coordinatorAccepts(accountKey, `${message}.`, signed.signature)).toBe(false);
      expect(accountKey.verify(new TextEncoder().encode(message), hexToBytes(signed.signature))).toBe(false);
      const signatureMap = signatureMapToBase64String(
        signerSignaturesToSignatureMap([
          new SignerSignature({
            publicKey: accountKey,
            signature: hexToBytes(signed.signature),
            accountId: AccountId.fromString(accountId),
          }),
        ]),
      );
      expect(verifyMessageSignature(message, signatureMap, accountKey)).toBe(true);
    });

    it('disconnects with an event, and then refuses to sign', async () => {
      const { signer } = await setup();
      await signer.connect();
      const events: WalletSignerEvent[] = [];
      const unsubscribe = signer.subscribe((event) => events.push(event));
      await signer.disconnect();
      unsubscribe();
      expect(signer.state).toBe('disconnected');
      expect(events).toEqual([{ type: 'wallet:disconnected', reason: null }]);
      await expect(signer.signMessage(message)).rejects.toBeInstanceOf(WalletSignerError);
    });

    it('gives up connecting when the signal is already aborted', async () => {
      const { signer } = await setup();
      await expect(signer.connect(AbortSignal.abort())).rejects.toMatchObject({ reason: 'cancelled' });
    });
  });
}
