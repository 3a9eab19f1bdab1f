import {
  TesseraError,
  linkedAccountSchema,
  walletChallengeRequestSchema,
  walletChallengeSchema,
  walletConfigSchema,
  walletLinkRequestSchema,
  walletPublicKeyParamsSchema,
} from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { WalletLinkService } from './wallet-link-service.ts';

/** What the wallet routes need from the app. */
export interface WalletRouteContext {
  wallet: WalletLinkService;
}

const tags = ['Wallet'];

/**
 * Wallet link: `GET /api/v1/wallet/config`, `POST /api/v1/wallet/challenge`, `POST /api/v1/wallet/link`,
 * `GET /api/v1/wallet/{publicKey}`. Bodies are parsed with the shared schemas; every refusal is a
 * `TesseraError`, answered in OpenAI's error shape by the app's error handler.
 */
export const walletRoutes: FastifyPluginAsync<WalletRouteContext> = async (app, context) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const { wallet } = context;

  typed.get(
    '/api/v1/wallet/config',
    {
      schema: {
        tags,
        summary: 'Network, WalletConnect project id and whether wallets can be linked',
        response: { 200: walletConfigSchema },
      },
    },
    async () => wallet.config(),
  );

  typed.post(
    '/api/v1/wallet/challenge',
    {
      schema: {
        tags,
        summary: 'A one-time message for the wallet to sign, for this tab key',
        body: walletChallengeRequestSchema,
        response: { 200: walletChallengeSchema },
      },
    },
    async (request) => wallet.challenge(request.body.publicKey),
  );

  typed.post(
    '/api/v1/wallet/link',
    {
      schema: {
        tags,
        summary: "Link the signing Hedera account to the challenge's tab key",
        body: walletLinkRequestSchema,
        response: { 200: linkedAccountSchema },
      },
    },
    async (request) => wallet.link(request.body),
  );

  typed.get(
    '/api/v1/wallet/:publicKey',
    {
      schema: {
        tags,
        summary: 'The Hedera account linked to a tab key',
        params: walletPublicKeyParamsSchema,
        response: { 200: linkedAccountSchema },
      },
    },
    async (request) => {
      const link = wallet.get(request.params.publicKey);
      if (link === undefined)
        throw new TesseraError(
          'wallet_link_not_found',
          "No Hedera account is linked to this tab key on this coordinator's network.",
          'publicKey',
        );
      return link;
    },
  );
};
