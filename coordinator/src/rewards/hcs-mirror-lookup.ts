import { z } from 'zod';

/** Whether a topic message transaction reached consensus, from the mirror node's history (which keeps everything). */
export interface HcsMirrorLookup {
  /** The topic sequence number it got, or null when the mirror node has no successful record of it. Throws when the node cannot answer. */
  find(transactionId: string): Promise<string | null>;
}

const transactionsSchema = z.object({
  transactions: z.array(z.object({ result: z.string(), consensus_timestamp: z.string(), name: z.string().optional() })),
});
const topicMessageSchema = z.object({ sequence_number: z.union([z.number().int(), z.string().regex(/^\d+$/)]) });

/** `0.0.5@1700000000.000000123` (the SDK's form) → `0.0.5-1700000000-000000123` (the mirror node's). */
export function mirrorTransactionId(transactionId: string): string {
  const match = /^(\d+\.\d+\.\d+)@(\d+)\.(\d+)$/.exec(transactionId);
  if (match === null) throw new Error(`not a transaction id: ${transactionId}`);
  return `${match[1]}-${match[2]}-${(match[3] ?? '').padStart(9, '0')}`;
}

/**
 * Reads `GET /api/v1/transactions/{id}` (did it succeed, and when) and then
 * `GET /api/v1/topics/messages/{consensus timestamp}` (its sequence number) from a mirror node's REST API.
 */
export function createHttpHcsMirrorLookup(options: { baseUrl: string; timeoutMs: number }): HcsMirrorLookup {
  const base = options.baseUrl.replace(/\/+$/, '');
  const get = async (path: string): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`mirror node answered HTTP ${response.status} for ${path}`);
    }
    return response.json();
  };
  return {
    async find(transactionId) {
      const found = await get(`/api/v1/transactions/${mirrorTransactionId(transactionId)}`);
      if (found === null) return null;
      const success = transactionsSchema.parse(found).transactions.find((entry) => entry.result === 'SUCCESS');
      if (success === undefined) return null;
      const message = await get(`/api/v1/topics/messages/${success.consensus_timestamp}`);
      if (message === null) throw new Error(`mirror node lists ${transactionId} but not its topic message yet`);
      return String(topicMessageSchema.parse(message).sequence_number);
    },
  };
}
