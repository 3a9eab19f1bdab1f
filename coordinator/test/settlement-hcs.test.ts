import { PrivateKey } from '@hashgraph/sdk';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpHcsMirrorLookup, mirrorTransactionId } from '../src/rewards/hcs-mirror-lookup.ts';
import { createSdkHcsPublisher, parseHederaNodes, type HcsOperator, type HcsPublisher } from '../src/rewards/hcs-publisher.ts';
import { HcsStandIn } from './support/hcs-stand-in.ts';

const OPERATOR_ID = '0.0.1001';
const TOPIC_ID = '0.0.5000';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standInFor(key: PrivateKey, now?: () => number): Promise<HcsStandIn> {
  const standIn = await HcsStandIn.start({
    topicId: TOPIC_ID,
    operatorId: OPERATOR_ID,
    operatorPublicKeyRaw: key.publicKey.toBytesRaw(),
    now,
  });
  cleanups.push(() => standIn.close());
  return standIn;
}

function publisher(standIn: HcsStandIn, key: PrivateKey, extra: Partial<HcsOperator> = {}): HcsPublisher {
  const hcs = createSdkHcsPublisher({
    network: 'local',
    nodes: standIn.network,
    operatorId: OPERATOR_ID,
    operatorKey: key.toStringDer(),
    topicId: TOPIC_ID,
    requestTimeoutMs: 4_000,
    ...extra,
  });
  cleanups.push(() => hcs.close());
  return hcs;
}

/** A mirror node's two answers about one transaction, on loopback. */
async function mirrorNode(
  records: Map<string, { consensusTimestamp: string; sequence: number }>,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const transaction = /^\/api\/v1\/transactions\/([^/?]+)$/.exec(url);
    const found = transaction?.[1] === undefined ? undefined : records.get(transaction[1]);
    if (found !== undefined) {
      return reply(200, {
        transactions: [{ result: 'SUCCESS', consensus_timestamp: found.consensusTimestamp, name: 'CONSENSUSSUBMITMESSAGE' }],
      });
    }
    const message = /^\/api\/v1\/topics\/messages\/([\d.]+)$/.exec(url);
    const byTime = [...records.values()].find((record) => record.consensusTimestamp === message?.[1]);
    if (byTime !== undefined) return reply(200, { sequence_number: byTime.sequence, topic_id: TOPIC_ID });
    reply(404, { _status: { messages: [{ message: 'Not found' }] } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { url: `http://127.0.0.1:${address.port}`, requests };
}

/** What the settler does: try again at the next tick (here every 300 ms) until it works. */
async function retried<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

describe('HCS publishing through @hashgraph/sdk, against a gRPC consensus node stand-in', () => {
  it('lands a topic message the node accepts (its topic, paid by the operator, signed by its key); the same bytes again post nothing more', async () => {
    const key = PrivateKey.generateED25519();
    const standIn = await standInFor(key);
    const hcs = publisher(standIn, key);
    const prepared = await hcs.prepare('{"type":"tessera.epoch","epoch":1}');
    expect(prepared.transactionId).toMatch(/^0\.0\.1001@\d+\.\d+$/);
    expect(standIn.submissions).toBe(0);

    expect(await hcs.submit(prepared)).toEqual({ landed: true, sequence: '1' });
    expect(await hcs.submit(prepared)).toEqual({ landed: true, sequence: '1' });
    expect(standIn.texts()).toEqual(['{"type":"tessera.epoch","epoch":1}']);
    expect(standIn.messages[0]?.transactionId).toBe(prepared.transactionId);
    expect(standIn.refusals).toEqual([{ transactionId: prepared.transactionId, code: 'DUPLICATE_TRANSACTION' }]);

    const second = await hcs.prepare('{"type":"tessera.epoch","epoch":2}');
    expect(second.transactionId).not.toBe(prepared.transactionId);
    expect(await hcs.submit(second)).toEqual({ landed: true, sequence: '2' });
  });

  it('is refused when signed by a key that is not the operator’s, and when aimed at another topic', async () => {
    const operatorKey = PrivateKey.generateED25519();
    const standIn = await standInFor(operatorKey);
    const impostor = publisher(standIn, PrivateKey.generateED25519());
    await expect(impostor.submit(await impostor.prepare('forged'))).rejects.toThrow(/INVALID_SIGNATURE/);
    const elsewhere = publisher(standIn, operatorKey, { topicId: '0.0.6000' });
    await expect(elsewhere.submit(await elsewhere.prepare('misdirected'))).rejects.toThrow(/INVALID_TOPIC_ID/);
    expect(standIn.messages).toEqual([]);
    expect(standIn.refusals.map((refusal) => refusal.code)).toEqual(['INVALID_SIGNATURE', 'INVALID_TOPIC_ID']);
  });

  it('an answer lost after the message landed: sent again, the node knows the id, the receipt gives its sequence; one message', async () => {
    const key = PrivateKey.generateED25519();
    const standIn = await standInFor(key);
    const hcs = publisher(standIn, key);
    standIn.faults.push('lose-answer');
    const prepared = await hcs.prepare('once');
    await expect(hcs.submit(prepared)).rejects.toThrow();
    expect(standIn.texts()).toEqual(['once']);
    expect(await retried(() => hcs.submit(prepared))).toEqual({ landed: true, sequence: '1' });
    expect(standIn.texts()).toEqual(['once']);
    expect(standIn.refusals.length).toBeGreaterThan(0);
    expect(
      standIn.refusals.every((refusal) => refusal.transactionId === prepared.transactionId && refusal.code === 'DUPLICATE_TRANSACTION'),
    ).toBe(true);
  });

  it('a node that cannot be reached: submit throws, nothing lands; the same transaction lands later', async () => {
    const key = PrivateKey.generateED25519();
    const standIn = await standInFor(key);
    const hcs = publisher(standIn, key);
    const prepared = await hcs.prepare('later');
    standIn.faults.push('unavailable', 'busy');
    await expect(hcs.submit(prepared)).rejects.toThrow();
    expect(standIn.messages).toEqual([]);
    expect(await retried(() => hcs.submit(prepared))).toEqual({ landed: true, sequence: '1' });
    expect(standIn.messages.map((message) => message.transactionId)).toEqual([prepared.transactionId]);
  });

  it('expired without a receipt: the mirror node says whether it landed; without one it is never given up', async () => {
    const key = PrivateKey.generateED25519();
    let clock = Date.now();
    const standIn = await standInFor(key, () => clock);
    const records = new Map<string, { consensusTimestamp: string; sequence: number }>();
    const mirror = await mirrorNode(records);
    const hcs = publisher(standIn, key, { now: () => clock, mirror: createHttpHcsMirrorLookup({ baseUrl: mirror.url, timeoutMs: 2_000 }) });
    const landed = await hcs.prepare('landed before the outage');
    const lost = await hcs.prepare('never sent');
    records.set(mirrorTransactionId(landed.transactionId), { consensusTimestamp: '1700000000.000000042', sequence: 7 });

    // Just expired: the mirror node may not have caught up, so no verdict yet.
    clock = lost.validUntilMs + 1_000;
    await expect(hcs.submit(lost)).rejects.toThrow(/once it has caught up/);
    clock = Math.max(landed.validUntilMs, lost.validUntilMs) + 120_000;
    expect(await hcs.submit(landed)).toEqual({ landed: true, sequence: '7' });
    expect(await hcs.submit(lost)).toEqual({ landed: false, reason: 'expired; the mirror node has no record of it' });
    expect(mirror.requests).toEqual([
      `/api/v1/transactions/${mirrorTransactionId(landed.transactionId)}`,
      '/api/v1/topics/messages/1700000000.000000042',
      `/api/v1/transactions/${mirrorTransactionId(lost.transactionId)}`,
    ]);
    expect(standIn.messages).toEqual([]);
    expect(standIn.refusals.map((refusal) => refusal.code)).toEqual(['TRANSACTION_EXPIRED', 'TRANSACTION_EXPIRED', 'TRANSACTION_EXPIRED']);
    const blind = publisher(standIn, key, { now: () => clock });
    await expect(blind.submit(lost)).rejects.toThrow(/no mirror node/);
  });

  it('reads consensus nodes from TESSERA_HEDERA_NODES', () => {
    expect(parseHederaNodes('127.0.0.1:50211=0.0.3, 10.0.0.2:50211=0.0.4')).toEqual({
      '127.0.0.1:50211': '0.0.3',
      '10.0.0.2:50211': '0.0.4',
    });
    expect(() => parseHederaNodes('127.0.0.1=0.0.3')).toThrow(/host:port/);
    expect(mirrorTransactionId('0.0.1001@1700000000.42')).toBe('0.0.1001-1700000000-000000042');
  });
});
