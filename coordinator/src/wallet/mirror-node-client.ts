import { TesseraError } from '@tessera/shared';
import type { HederaAccountId } from '@tessera/shared';
import { z } from 'zod';

/**
 * The part of a mirror node's `GET /api/v1/accounts/{id}` answer a wallet link needs. Other fields
 * (balance, transactions…) are ignored; `key` is null for accounts without one.
 */
export const mirrorAccountSchema = z.object({
  account: z.string(),
  deleted: z.boolean().optional(),
  evm_address: z.string().nullable().optional(),
  key: z
    .object({
      /** `ED25519`, `ECDSA_SECP256K1`, or `ProtobufEncoded` for key lists and threshold keys. */
      _type: z.string(),
      key: z.string(),
    })
    .nullable(),
});
export type MirrorAccount = z.infer<typeof mirrorAccountSchema>;

/** Reads accounts from a Hedera mirror node: the coordinator's only source for an account's key. */
export interface MirrorNodeClient {
  /**
   * The account, or null when the mirror node does not know it (HTTP 404). Throws `TesseraError`
   * `mirror_node_unavailable` when the node cannot be reached, times out, fails or answers garbage.
   */
  account(accountId: HederaAccountId): Promise<MirrorAccount | null>;
}

export interface HttpMirrorNodeOptions {
  /** REST base, e.g. `https://testnet.mirrornode.hedera.com` (no `/api/v1`). */
  baseUrl: string;
  timeoutMs: number;
  /** For tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
}

/**
 * The mirror node over HTTP: `GET {baseUrl}/api/v1/accounts/{id}?transactions=false`, with a timeout,
 * the answer parsed with `mirrorAccountSchema`.
 *
 * @example
 * const mirror = createHttpMirrorNodeClient({ baseUrl: 'https://testnet.mirrornode.hedera.com', timeoutMs: 5000 });
 * const account = await mirror.account(hederaAccountIdSchema.parse('0.0.1234'));
 */
export function createHttpMirrorNodeClient(options: HttpMirrorNodeOptions): MirrorNodeClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? fetch;
  const unavailable = (why: string) => new TesseraError('mirror_node_unavailable', `The Hedera mirror node ${why}; try again shortly.`);

  return {
    async account(accountId) {
      let response: Response;
      try {
        response = await fetchImpl(`${base}/api/v1/accounts/${accountId}?transactions=false`, {
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        throw unavailable(timedOut ? `did not answer within ${options.timeoutMs} ms` : 'could not be reached');
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw unavailable(`answered HTTP ${response.status}`);
      }
      let json: unknown;
      try {
        json = await response.json();
      } catch {
        throw unavailable('answered with a body that is not JSON');
      }
      const parsed = mirrorAccountSchema.safeParse(json);
      if (!parsed.success) throw unavailable('answered with an unexpected account shape');
      if (parsed.data.account !== accountId)
        throw unavailable(`answered for account ${parsed.data.account.slice(0, 40)} instead of ${accountId}`);
      return parsed.data;
    },
  };
}
