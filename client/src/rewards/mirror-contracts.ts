import { z } from 'zod';
import type { Fetch } from '../api/openai-client.ts';

/** A dry run of a contract call on the mirror node: the gas it needs, or why it would revert. */
export type MirrorEstimate = { kind: 'ok'; gas: bigint } | { kind: 'reverted'; status: string; detail: string; data: string | null };

/** A sent transaction's contract result as the mirror node reports it. */
export type MirrorContractResult = { kind: 'pending' } | { kind: 'success' } | { kind: 'failed'; status: string; data: string | null };

/** The two mirror node contract endpoints a claim uses. */
export interface MirrorContracts {
  /** `POST /api/v1/contracts/call` with `estimate: true` (HIP-584): runs the call on the mirror's copy of state; sends and pays nothing. */
  estimateGas(call: { to: string; data: string }, signal?: AbortSignal): Promise<MirrorEstimate>;
  /** `GET /api/v1/contracts/results/{transactionId}`; `pending` until the mirror node has it (a few seconds). */
  result(transactionId: string, signal?: AbortSignal): Promise<MirrorContractResult>;
}

export class MirrorNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MirrorNodeError';
  }
}

const estimateSchema = z.object({ result: z.string().regex(/^0x[0-9a-fA-F]+$/) });
/** The web3 module's error body: `{ _status: { messages: [{ message, detail, data }] } }`. */
const statusSchema = z.object({
  _status: z.object({
    messages: z.array(z.object({ message: z.string(), detail: z.string().nullish(), data: z.string().nullish() })).min(1),
  }),
});
const contractResultSchema = z.object({ result: z.string(), error_message: z.string().nullish() });

/** `0.0.1234@1700000000.000000042` (the SDK's form) → `0.0.1234-1700000000-000000042` (the mirror node's). */
export function mirrorTransactionId(transactionId: string): string {
  const match = /^(\d+\.\d+\.\d+)@(\d+)\.(\d+)/.exec(transactionId);
  if (match === null) throw new MirrorNodeError(`Not a transaction id: ${transactionId.slice(0, 60)}`);
  return `${match[1]}-${match[2]}-${match[3]}`;
}

/**
 * @example
 * const mirror = createMirrorContracts('https://testnet.mirrornode.hedera.com');
 * const estimate = await mirror.estimateGas({ to: distributor, data: encodeClaimCall(claim) });
 */
export function createMirrorContracts(baseUrl: string, fetchImpl: Fetch = (input, init) => fetch(input, init)): MirrorContracts {
  async function json(response: Response): Promise<unknown> {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  async function request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetchImpl(`${baseUrl}/api/v1${path}`, { cache: 'no-store', ...init });
    } catch (error) {
      if (init.signal?.aborted === true) throw error;
      throw new MirrorNodeError(
        `The mirror node ${baseUrl} could not be reached: ${error instanceof Error ? error.message : 'network error'}`,
      );
    }
  }

  return {
    async estimateGas(call, signal) {
      const response = await request('/contracts/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ block: 'latest', data: call.data, to: call.to, estimate: true }),
        signal: signal ?? null,
      });
      const body = await json(response);
      if (response.ok) {
        const parsed = estimateSchema.safeParse(body);
        if (!parsed.success) throw new MirrorNodeError('The mirror node answered the gas estimate without a result.');
        return { kind: 'ok', gas: BigInt(parsed.data.result) };
      }
      const status = statusSchema.safeParse(body);
      // 400 is how the web3 module answers a call that reverts; anything else is the mirror's own trouble.
      if (response.status === 400 && status.success) {
        const [first] = status.data._status.messages;
        return {
          kind: 'reverted',
          status: first?.message ?? 'CONTRACT_REVERT_EXECUTED',
          detail: first?.detail ?? '',
          data: first?.data ?? null,
        };
      }
      throw new MirrorNodeError(
        `The mirror node could not estimate the call: HTTP ${response.status}${status.success ? ` ${status.data._status.messages[0]?.message ?? ''}` : ''}`,
      );
    },

    async result(transactionId, signal) {
      const response = await request(`/contracts/results/${mirrorTransactionId(transactionId)}`, { signal: signal ?? null });
      if (response.status === 404) return { kind: 'pending' };
      if (!response.ok) throw new MirrorNodeError(`The mirror node could not report the transaction: HTTP ${response.status}`);
      const parsed = contractResultSchema.safeParse(await json(response));
      if (!parsed.success) throw new MirrorNodeError('The mirror node reported the transaction without a result.');
      if (parsed.data.result === 'SUCCESS') return { kind: 'success' };
      return { kind: 'failed', status: parsed.data.result, data: parsed.data.error_message ?? null };
    },
  };
}
