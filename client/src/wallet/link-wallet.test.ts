import { PrivateKey, PublicKey } from '@hashgraph/sdk';
import {
  fromBase64Url,
  hederaAccountIdSchema,
  hederaSignedMessageBytes,
  hexToBytes,
  longZeroEvmAddress,
  walletChallengeIdSchema,
  walletLinkMessage,
  walletLinkProofBytes,
  walletLinkRequestSchema,
} from '@tessera/shared';
import type { LinkedAccount, WalletChallenge, WalletLinkRequest } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import { ED25519, ephemeralTabIdentity } from '../identity/tab-identity.ts';
import { linkWallet } from './link-wallet.ts';
import type { LinkStep } from './link-wallet.ts';
import { LocalKeySigner } from './local-key-signer.ts';
import type { WalletApi } from './wallet-api.ts';
import { walletLinkErrorText } from './wallet-link-errors.ts';
import { WalletSignerError } from './wallet-signer.ts';

const accountId = hederaAccountIdSchema.parse('0.0.1234');

/**
 * The coordinator's side of a link, at the API seam: one-time challenges, the wallet signature checked
 * against the account's key (as coordinator/src/wallet does with the mirror node's key), the tab's
 * proof checked against the challenge's tab key. Answers like the real API: a view or an ApiError.
 */
function coordinatorWith(
  accountKey: PublicKey,
): Pick<WalletApi, 'challenge' | 'link'> & { challenges: Map<string, WalletChallenge & { publicKey: string }> } {
  const challenges = new Map<string, WalletChallenge & { publicKey: string }>();
  const refuse = (status: number, code: string, message: string) =>
    new ApiError(status, message, { message, type: 'invalid_request_error', param: null, code });
  return {
    challenges,
    async challenge(publicKey) {
      const challengeId = walletChallengeIdSchema.parse(crypto.randomUUID());
      const expiresAt = Date.now() + 300_000;
      const challenge = {
        challengeId,
        expiresAt,
        publicKey,
        message: walletLinkMessage({ publicKey, network: 'testnet', challengeId, nonce: 'n'.repeat(43), expiresAt }),
      };
      challenges.set(challengeId, challenge);
      return { challengeId, message: challenge.message, expiresAt };
    },
    async link(request: WalletLinkRequest): Promise<LinkedAccount> {
      const body = walletLinkRequestSchema.parse(request);
      const challenge = challenges.get(body.challengeId);
      if (challenge === undefined) throw refuse(404, 'challenge_not_found', 'No open wallet challenge has this id.');
      challenges.delete(body.challengeId);
      const tabKey = await crypto.subtle.importKey('raw', new Uint8Array(fromBase64Url(challenge.publicKey)), ED25519, true, ['verify']);
      const proof = walletLinkProofBytes({ publicKey: challenge.publicKey, challengeId: body.challengeId, accountId: body.accountId });
      if (!(await crypto.subtle.verify(ED25519, tabKey, new Uint8Array(fromBase64Url(body.identitySignature)), new Uint8Array(proof)))) {
        throw refuse(400, 'signature_invalid', "identitySignature is not this tab key's signature.");
      }
      if (body.signerPublicKey !== undefined && !PublicKey.fromString(body.signerPublicKey).equals(accountKey))
        throw refuse(400, 'wallet_key_mismatch', "Not the account's key.");
      if (!accountKey.verify(hederaSignedMessageBytes(challenge.message), hexToBytes(body.signature)))
        throw refuse(400, 'wallet_signature_invalid', 'Bad signature.');
      return {
        publicKey: challenge.publicKey,
        accountId: body.accountId,
        evmAddress: longZeroEvmAddress(body.accountId),
        keyType: 'ED25519',
        network: 'testnet',
        linkedAt: Date.now(),
      };
    },
  };
}

describe('linkWallet with a local key', () => {
  it('connects, gets a challenge, signs it, proves the tab key and links, step by step', async () => {
    const key = PrivateKey.generateED25519();
    const identity = await ephemeralTabIdentity();
    const api = coordinatorWith(key.publicKey);
    const steps: LinkStep[] = [];
    const link = await linkWallet({
      signer: new LocalKeySigner({ accountId, privateKeyDer: key.toStringDer(), network: 'testnet' }),
      identity: async () => identity,
      api,
      onStep: (step) => steps.push(step),
    });
    expect(link).toMatchObject({ publicKey: identity.publicKey, accountId: '0.0.1234' });
    expect(steps).toEqual(['connecting', 'signing', 'linking']);
    expect(api.challenges.size).toBe(0);
  });

  it("fails with the coordinator's code when the key is not the account's, in plain words", async () => {
    const identity = await ephemeralTabIdentity();
    const api = coordinatorWith(PrivateKey.generateED25519().publicKey);
    const stranger = PrivateKey.generateECDSA();
    const failure = await linkWallet({
      signer: new LocalKeySigner({ accountId, privateKeyDer: stranger.toStringDer(), network: 'testnet' }),
      identity: async () => identity,
      api,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(walletLinkErrorText(failure)).toMatch(/does not control this account/);
  });

  it('sends nothing when cancelled while the wallet signs', async () => {
    const key = PrivateKey.generateED25519();
    const identity = await ephemeralTabIdentity();
    const api = coordinatorWith(key.publicKey);
    const abort = new AbortController();
    const signer = new LocalKeySigner({ accountId, privateKeyDer: key.toStringDer(), network: 'testnet' });
    const linking = linkWallet({
      signer,
      identity: async () => identity,
      api,
      signal: abort.signal,
      onStep: (step) => step === 'signing' && abort.abort(),
    });
    await expect(linking).rejects.toMatchObject({ reason: 'cancelled' });
    expect(api.challenges.size).toBe(1);
    expect(walletLinkErrorText(new WalletSignerError('cancelled', 'Linking was cancelled.'))).toBeNull();
  });
});

describe('wallet link errors in plain words', () => {
  const apiError = (code: string, message = 'server says') =>
    new ApiError(400, message, { message, type: 'invalid_request_error', param: null, code });
  it('explain each refusal of the coordinator', () => {
    expect(walletLinkErrorText(apiError('challenge_expired'))).toMatch(/took longer/);
    expect(walletLinkErrorText(apiError('mirror_node_unavailable'))).toMatch(/mirror node/);
    expect(walletLinkErrorText(apiError('account_not_found', 'The testnet mirror node knows no account 0.0.9.'))).toBe(
      'The testnet mirror node knows no account 0.0.9.',
    );
    expect(walletLinkErrorText(apiError('something_new', 'New thing.'))).toBe('New thing. (something_new, HTTP 400)');
  });

  it("pass on the wallet's own words", () => {
    expect(walletLinkErrorText(new WalletSignerError('rejected', 'The wallet declined to sign: User rejected.'))).toBe(
      'The wallet declined to sign: User rejected.',
    );
  });
});
