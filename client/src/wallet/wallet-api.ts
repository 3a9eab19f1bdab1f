import { linkedAccountSchema, walletChallengeSchema, walletConfigSchema } from '@tessera/shared';
import type { LinkedAccount, WalletChallenge, WalletConfig, WalletLinkRequest } from '@tessera/shared';
import type { z } from 'zod';
import { ApiError, apiErrorFromResponse } from '../api/api-error.ts';
import type { Fetch } from '../api/openai-client.ts';

/** The coordinator's wallet endpoints, parsed with the shared schemas. */
export interface WalletApi {
  config(): Promise<WalletConfig>;
  challenge(publicKey: string): Promise<WalletChallenge>;
  link(request: WalletLinkRequest): Promise<LinkedAccount>;
  /** The tab key's link, or null when it has none (404 `wallet_link_not_found`). */
  linked(publicKey: string): Promise<LinkedAccount | null>;
}

/**
 * @example
 * const api = createWalletApi(location.origin);
 * const { challengeId, message } = await api.challenge(identity.publicKey);
 */
export function createWalletApi(origin: string, fetchImpl: Fetch = (input, init) => fetch(input, init)): WalletApi {
  async function call<Schema extends z.ZodType>(path: string, schema: Schema, init: RequestInit = {}): Promise<z.output<Schema>> {
    const response = await fetchImpl(`${origin}${path}`, { cache: 'no-store', ...init });
    if (!response.ok) throw await apiErrorFromResponse(response);
    const body = schema.safeParse(await response.json());
    if (!body.success)
      throw new ApiError(response.status, `${path} answered with an unexpected body: ${body.error.issues[0]?.message ?? ''}`);
    return body.data;
  }
  const post = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  return {
    config: () => call('/api/v1/wallet/config', walletConfigSchema),
    challenge: (publicKey) => call('/api/v1/wallet/challenge', walletChallengeSchema, post({ publicKey })),
    link: (request) => call('/api/v1/wallet/link', linkedAccountSchema, post(request)),
    async linked(publicKey) {
      try {
        return await call(`/api/v1/wallet/${encodeURIComponent(publicKey)}`, linkedAccountSchema);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'wallet_link_not_found') return null;
        throw error;
      }
    },
  };
}
