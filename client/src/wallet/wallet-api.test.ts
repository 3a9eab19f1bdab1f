import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import { createWalletApi } from './wallet-api.ts';

const publicKey = 'A'.repeat(43);

function answering(status: number, body: unknown) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetchImpl = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { calls, api: createWalletApi('http://coordinator.test', fetchImpl) };
}

describe('wallet API client', () => {
  it('posts the challenge request as JSON and parses the answer', async () => {
    const challenge = { challengeId: crypto.randomUUID(), message: 'Tessera wallet link', expiresAt: 1 };
    const { api, calls } = answering(200, challenge);
    expect(await api.challenge(publicKey)).toEqual(challenge);
    expect(calls[0]?.url).toBe('http://coordinator.test/api/v1/wallet/challenge');
    expect(calls[0]?.init?.body).toBe(JSON.stringify({ publicKey }));
  });

  it('reads a missing link as null, and other errors as ApiError with the code', async () => {
    expect(
      await answering(404, {
        error: { message: 'none', type: 'invalid_request_error', param: 'publicKey', code: 'wallet_link_not_found' },
      }).api.linked(publicKey),
    ).toBeNull();
    const failure = await answering(503, { error: { message: 'down', type: 'server_error', param: null, code: 'mirror_node_unavailable' } })
      .api.linked(publicKey)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 503, code: 'mirror_node_unavailable' });
  });

  it('refuses an answer that is not the shape the schema says', async () => {
    await expect(answering(200, { network: 'moon' }).api.config()).rejects.toThrow(/unexpected body/);
  });
});
