import { describe, expect, it } from 'vitest';
import type { Fetch } from '../api/openai-client.ts';
import { MirrorNodeError, createMirrorContracts, mirrorTransactionId } from './mirror-contracts.ts';

function answering(status: number, body: unknown, seen: string[] = []): Fetch {
  return async (input, init) => {
    seen.push(`${init?.method ?? 'GET'} ${input} ${typeof init?.body === 'string' ? init.body : ''}`.trim());
    return Response.json(body, { status });
  };
}

describe('mirrorTransactionId', () => {
  it("turns the SDK's form into the mirror node's", () => {
    expect(mirrorTransactionId('0.0.4321@1700000000.000000042')).toBe('0.0.4321-1700000000-000000042');
    expect(() => mirrorTransactionId('nonsense')).toThrow(MirrorNodeError);
  });
});

describe('createMirrorContracts', () => {
  it('estimates gas with POST /api/v1/contracts/call, estimate: true', async () => {
    const seen: string[] = [];
    const mirror = createMirrorContracts('https://mirror.test', answering(200, { result: '0x1d4c0' }, seen));
    expect(await mirror.estimateGas({ to: '0xabc', data: '0x1234' })).toEqual({ kind: 'ok', gas: 120_000n });
    expect(seen).toEqual([
      'POST https://mirror.test/api/v1/contracts/call {"block":"latest","data":"0x1234","to":"0xabc","estimate":true}',
    ]);
  });

  it("reads a revert from the web3 module's 400 body, with its revert data", async () => {
    const mirror = createMirrorContracts(
      'https://mirror.test',
      answering(400, { _status: { messages: [{ message: 'CONTRACT_REVERT_EXECUTED', detail: '', data: '0x09bde339' }] } }),
    );
    expect(await mirror.estimateGas({ to: '0xabc', data: '0x' })).toEqual({
      kind: 'reverted',
      status: 'CONTRACT_REVERT_EXECUTED',
      detail: '',
      data: '0x09bde339',
    });
  });

  it("throws MirrorNodeError for the mirror's own trouble: other statuses, bodies it cannot read, no network", async () => {
    await expect(
      createMirrorContracts('https://m', answering(503, { _status: { messages: [{ message: 'Service Unavailable' }] } })).estimateGas({
        to: '0x',
        data: '0x',
      }),
    ).rejects.toThrow(/HTTP 503 Service Unavailable/);
    await expect(
      createMirrorContracts('https://m', answering(200, { nope: 1 })).estimateGas({ to: '0x', data: '0x' }),
    ).rejects.toBeInstanceOf(MirrorNodeError);
    const down: Fetch = () => Promise.reject(new TypeError('fetch failed'));
    await expect(createMirrorContracts('https://m', down).estimateGas({ to: '0x', data: '0x' })).rejects.toThrow(
      /could not be reached: fetch failed/,
    );
  });

  it("reports a transaction's result: pending until the mirror has it, then success or the failure with its revert data", async () => {
    const seen: string[] = [];
    expect(await createMirrorContracts('https://m', answering(404, {}, seen)).result('0.0.5@1700000000.000000001')).toEqual({
      kind: 'pending',
    });
    expect(seen).toEqual(['GET https://m/api/v1/contracts/results/0.0.5-1700000000-000000001']);
    expect(
      await createMirrorContracts('https://m', answering(200, { result: 'SUCCESS', error_message: null })).result('0.0.5@1.2'),
    ).toEqual({ kind: 'success' });
    expect(
      await createMirrorContracts('https://m', answering(200, { result: 'CONTRACT_REVERT_EXECUTED', error_message: '0x09bde339' })).result(
        '0.0.5@1.2',
      ),
    ).toEqual({
      kind: 'failed',
      status: 'CONTRACT_REVERT_EXECUTED',
      data: '0x09bde339',
    });
  });
});
