import { walletLinkProofBytes } from '@tessera/shared';
import type { LinkedAccount } from '@tessera/shared';
import type { WalletApi } from './wallet-api.ts';
import { WalletSignerError } from './wallet-signer.ts';
import type { WalletConnection, WalletSigner } from './wallet-signer.ts';

/** The tab's identity as a link needs it: its key, and a signature with it (`TabIdentity` fits). */
export interface LinkIdentity {
  readonly publicKey: string;
  sign(bytes: Uint8Array): Promise<string>;
}

/** The steps of a link, as the page names them while it waits. */
export type LinkStep = 'connecting' | 'signing' | 'linking';

export interface LinkWalletInput {
  signer: WalletSigner;
  /** The tab's identity; rejects with a reason in plain words when there is none. */
  identity: () => Promise<LinkIdentity>;
  api: Pick<WalletApi, 'challenge' | 'link'>;
  /** Abandons the wait for the wallet; a signature that arrives afterwards is not sent. */
  signal?: AbortSignal;
  onStep?: (step: LinkStep) => void;
  onConnected?: (connection: WalletConnection) => void;
}

/**
 * Links the signer's account to the tab key: connect the wallet, ask the coordinator for a challenge,
 * have the wallet sign it (with the Hedera prefix), sign the link proof with the tab key, post the link.
 *
 * @example
 * const link = await linkWallet({ signer: new LocalKeySigner(options), identity: async () => tabIdentity, api: createWalletApi(origin) });
 */
export async function linkWallet(input: LinkWalletInput): Promise<LinkedAccount> {
  const { signer, api, signal } = input;
  input.onStep?.('connecting');
  const connection = await signer.connect(signal);
  input.onConnected?.(connection);
  const identity = await input.identity();
  const challenge = await api.challenge(identity.publicKey);
  input.onStep?.('signing');
  const signed = await signer.signMessage(challenge.message);
  if (signal?.aborted === true) throw new WalletSignerError('cancelled', 'Linking was cancelled.');
  const identitySignature = await identity.sign(
    walletLinkProofBytes({ publicKey: identity.publicKey, challengeId: challenge.challengeId, accountId: connection.accountId }),
  );
  input.onStep?.('linking');
  return api.link({
    challengeId: challenge.challengeId,
    accountId: connection.accountId,
    signature: signed.signature,
    signerPublicKey: signed.publicKey,
    identitySignature,
  });
}
