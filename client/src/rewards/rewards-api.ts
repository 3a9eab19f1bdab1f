import { epochViewSchema, leaderboardSchema, rewardsViewSchema, siteListSchema } from '@tessera/shared';
import type { EpochView, Leaderboard, RewardsView, SiteView } from '@tessera/shared';
import { z } from 'zod';
import { ApiError, apiErrorFromResponse } from '../api/api-error.ts';
import type { Fetch } from '../api/openai-client.ts';
import { claimSettingsSchema } from './claim-settings.ts';
import type { ClaimSettings } from './claim-settings.ts';

/** The coordinator's rewards endpoints, parsed with the shared schemas. */
export interface RewardsApi {
  /** `GET /api/v1/rewards/{publicKey}`: balances, tier, linked account, claims with proofs, history. */
  rewards(publicKey: string, signal?: AbortSignal): Promise<RewardsView>;
  /** `GET /api/v1/epochs`, newest first. */
  epochs(signal?: AbortSignal): Promise<EpochView[]>;
  /** `GET /api/v1/leaderboard`. */
  leaderboard(signal?: AbortSignal): Promise<Leaderboard>;
  /** `GET /api/v1/sites`: sites that embed the widget, with their visitors, tasks and share. */
  sites(signal?: AbortSignal): Promise<SiteView[]>;
  /** The claim fields of `GET /api/v1/wallet/config` (network, distributor, mirror node). */
  claimSettings(signal?: AbortSignal): Promise<ClaimSettings>;
}

const epochListSchema = z.object({ epochs: z.array(epochViewSchema) });

/**
 * @example
 * const api = createRewardsApi(location.origin);
 * const { balances } = await api.rewards(volunteer.publicKey);
 */
export function createRewardsApi(origin: string, fetchImpl: Fetch = (input, init) => fetch(input, init)): RewardsApi {
  async function get<Schema extends z.ZodType>(path: string, schema: Schema, signal: AbortSignal | undefined): Promise<z.output<Schema>> {
    const response = await fetchImpl(`${origin}${path}`, { cache: 'no-store', signal: signal ?? null });
    if (!response.ok) throw await apiErrorFromResponse(response);
    const body = schema.safeParse(await response.json());
    if (!body.success)
      throw new ApiError(
        response.status,
        `GET ${path.split('/').slice(0, 4).join('/')} answered with an unexpected body: ${body.error.issues[0]?.message ?? ''}`,
      );
    return body.data;
  }

  return {
    rewards: (publicKey, signal) => get(`/api/v1/rewards/${encodeURIComponent(publicKey)}`, rewardsViewSchema, signal),
    epochs: async (signal) => (await get('/api/v1/epochs', epochListSchema, signal)).epochs,
    leaderboard: (signal) => get('/api/v1/leaderboard', leaderboardSchema, signal),
    sites: async (signal) => (await get('/api/v1/sites', siteListSchema, signal)).sites,
    claimSettings: (signal) => get('/api/v1/wallet/config', claimSettingsSchema, signal),
  };
}
