import { networkSnapshotSchema } from '@tessera/shared';
import type { NetworkSnapshot } from '@tessera/shared';
import { ApiError, apiErrorFromResponse } from './api-error.ts';
import type { Fetch } from './openai-client.ts';

/** `GET /api/v1/network`, parsed. */
export async function fetchNetworkSnapshot(
  origin: string,
  signal?: AbortSignal,
  fetchImpl: Fetch = (input, init) => fetch(input, init),
): Promise<NetworkSnapshot> {
  const response = await fetchImpl(`${origin}/api/v1/network`, { signal: signal ?? null, cache: 'no-store' });
  if (!response.ok) throw await apiErrorFromResponse(response);
  const body = networkSnapshotSchema.safeParse(await response.json());
  if (!body.success)
    throw new ApiError(response.status, `GET /api/v1/network answered with an unexpected body: ${body.error.issues[0]?.message ?? ''}`);
  return body.data;
}
