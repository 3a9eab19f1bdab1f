// Fixtures of the wallet-link tests: accounts on a loopback mirror node, the routes on a bare app, requests.
import { expect } from 'vitest';
import { PrivateKey } from '@hashgraph/sdk';
import {
  bytesToHex,
  hederaAccountIdSchema,
  hederaSignedMessageBytes,
  openAIErrorBodySchema,
  toBase64Url,
  walletChallengeSchema,
  walletLinkProofBytes,
} from '@tessera/shared';
import type { HederaNetwork } from '@tessera/shared';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { sign } from 'node:crypto';
import type { SqlDatabase } from '../../src/db/sql-database.ts';
import { installOpenAIErrorHandler } from '../../src/http/openai-error-handler.ts';
import { createWalletLinkService, type WalletLinkService, type WalletLinkServiceOptions } from '../../src/wallet/wallet-link-service.ts';
import { walletRoutes } from '../../src/wallet/wallet-routes.ts';
import type { TabIdentity } from './scripted-tab.ts';

export const ED_ACCOUNT = '0.0.1234';
export const EC_ACCOUNT = '0.0.5678';
export const KEY_LIST_ACCOUNT = '0.0.4321';
export const DELETED_ACCOUNT = '0.0.999';
export const edKey = PrivateKey.generateED25519();
export const ecKey = PrivateKey.generateECDSA();
export const strangerKey = PrivateKey.generateED25519();
export const ecEvmAddress = `0x${ecKey.publicKey.toEvmAddress()}`;

export interface WalletApp {
  app: FastifyInstance;
  wallet: WalletLinkService;
  clock: { now: number };
}

/** The wallet routes on a bare fastify app, as `buildApp` wires them: zod compilers, the OpenAI error handler. */
export async function walletApp(
  db: SqlDatabase,
  options: Partial<WalletLinkServiceOptions> & { network?: HederaNetwork } = {},
): Promise<WalletApp> {
  const clock = { now: Date.parse('2025-06-01T12:00:00Z') };
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser('text/plain');
  installOpenAIErrorHandler(app);
  const wallet = createWalletLinkService({
    db,
    network: 'testnet',
    challengeTtlMs: 300_000,
    mirrorNodeTimeoutMs: 500,
    now: () => clock.now,
    ...options,
  });
  await app.register(walletRoutes, { wallet });
  await app.ready();
  return { app, wallet, clock };
}

export async function post(app: FastifyInstance, url: string, body: unknown) {
  const response = await app.inject({
    method: 'POST',
    url,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.statusCode, json: response.json() as unknown };
}

export function errorOf(json: unknown) {
  return openAIErrorBodySchema.parse(json).error;
}

export async function challengeFor(app: FastifyInstance, tab: TabIdentity) {
  const { status, json } = await post(app, '/api/v1/wallet/challenge', { publicKey: tab.publicKey });
  expect(status).toBe(200);
  return walletChallengeSchema.parse(json);
}

/** What the volunteer page sends: the wallet's signature over the prefixed message, and the tab's proof. */
export function linkBody(
  tab: TabIdentity,
  challenge: { challengeId: string; message: string },
  accountId: string,
  walletKey: PrivateKey,
  overrides: { signedMessage?: Uint8Array; signerPublicKey?: string | null } = {},
) {
  const signature = bytesToHex(walletKey.sign(overrides.signedMessage ?? hederaSignedMessageBytes(challenge.message)));
  const proof = walletLinkProofBytes({
    publicKey: tab.publicKey,
    challengeId: challenge.challengeId,
    accountId: hederaAccountIdSchema.parse(accountId),
  });
  const identitySignature = toBase64Url(sign(null, proof, tab.privateKey));
  const signerPublicKey = overrides.signerPublicKey === null ? undefined : (overrides.signerPublicKey ?? walletKey.publicKey.toStringDer());
  return {
    challengeId: challenge.challengeId,
    accountId,
    signature,
    identitySignature,
    ...(signerPublicKey === undefined ? {} : { signerPublicKey }),
  };
}
