import { PrivateKey } from '@hashgraph/sdk';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp, type CoordinatorApp } from '../src/app.ts';
import { loadConfig, type CoordinatorConfig } from '../src/config.ts';
import { NO_ROOT } from '../src/rewards/reward-chain.ts';
import { HcsStandIn } from './support/hcs-stand-in.ts';
import { DEV_KEYS, addressOf, deployRewards, type DeployedRewards } from './support/local-evm.ts';
import { localEvmPerFile } from './support/local-evm-suite.ts';
import { eventually } from './support/test-app.ts';
import { testDatabaseUrl } from './support/test-database.ts';

// Settlement reads the chain before every post. These tests put the chain in the states a crash or a
// second writer leaves behind and check what the coordinator does: a different root halts settlement,
// loudly and for good (also after a restart); a failed HCS post after the chain post is retried until it lands.

const ALICE = 'A'.repeat(43);
const ALICE_ACCOUNT = { accountId: '0.0.4001', evmAddress: '0x0000000000000000000000000000000000000fa1' } as const;
const OTHER_ROOT = `0x${'ab'.repeat(32)}` as const;
const OPERATOR_ID = '0.0.1001';
const TOPIC_ID = '0.0.5000';

const suite = localEvmPerFile();
const { cleanups } = suite;

interface LoggedApp {
  app: CoordinatorApp;
  /** Parsed pino lines. */
  logs: Array<{ level: number; msg: string }>;
}

/** An in-process coordinator on `dataDir` whose log lines the test can read. */
async function startApp(dataDir: string, overrides: Partial<Record<keyof CoordinatorConfig, unknown>>): Promise<LoggedApp> {
  const logs: LoggedApp['logs'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const databaseUrl = await testDatabaseUrl(dataDir);
  const config = loadConfig({}, { port: 0, dataDir, databaseUrl, rateLimitPerMinute: 0, epochLengthMs: 3_600_000, ...overrides });
  const app = await buildApp({
    config,
    logger: { level: 'info', stream },
    accounts: { linkedAccount: (key) => (key === ALICE ? ALICE_ACCOUNT : undefined) },
  });
  await app.ready();
  cleanups.push(() => app.close());
  return { app, logs };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-settlement-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function chainConfig(rewards: DeployedRewards): Partial<Record<keyof CoordinatorConfig, unknown>> {
  return { evmRpcUrl: suite.evm().url, rewardDistributorAddress: rewards.distributor, settlementPrivateKey: DEV_KEYS.poster };
}

function earn(app: CoordinatorApp, amount: bigint): void {
  app.tessera.ledger.credit({ taskId: randomUUID(), publicKey: ALICE, model: 'tessera/tiny-gpt2', units: 1n, amount, escrow: false });
}

async function metric(app: CoordinatorApp, line: RegExp): Promise<string | undefined> {
  const text = await (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return text.split('\n').find((entry) => line.test(entry));
}

describe('settlement reconciles with the chain', () => {
  it('a different root on chain for an epoch stops settlement loudly: that epoch and every later one stay off chain, also after a restart', async () => {
    const rewards = await deployRewards(suite.evm().url, addressOf(DEV_KEYS.poster), 10n ** 16n);
    // Another writer (a second coordinator with the poster role, a restored backup) posted epoch 1 first.
    await rewards.postAs(DEV_KEYS.otherPoster, 1, OTHER_ROOT, 1n);
    const dataDir = tempDir();
    const { app, logs } = await startApp(dataDir, chainConfig(rewards));
    earn(app, 5_000n);
    const closed = await app.tessera.settler.closeNow();
    expect(closed).toMatchObject({ epoch: 1, total: 5_000n });

    expect(app.tessera.settler.halt).toMatchObject({ epoch: 1, onChain: { root: OTHER_ROOT, total: 1n }, ours: { root: closed.root } });
    const alarms = logs.filter((line) => line.level === 50 && line.msg.includes('SETTLEMENT HALTED'));
    expect(alarms).toHaveLength(1);
    expect(await metric(app, /^tessera_settlement_halted /)).toBe('tessera_settlement_halted 1');
    expect(await metric(app, /^tessera_settlement_root_conflicts_total /)).toBe('tessera_settlement_root_conflicts_total 1');
    expect(app.tessera.ledger.epochs().find((epoch) => epoch.epoch === 1)).toMatchObject({ status: 'closed', txHash: null });
    expect(await rewards.epochRoot(1)).toBe(OTHER_ROOT);

    // Later epochs are not posted over it, though they close and keep their proofs.
    earn(app, 700n);
    expect(await app.tessera.settler.closeNow()).toMatchObject({ epoch: 2, total: 700n });
    await app.tessera.settler.tick();
    expect(await rewards.epochRoot(2)).toBe(NO_ROOT);
    expect(app.tessera.ledger.epochs().filter((epoch) => epoch.status === 'posted')).toEqual([]);
    expect(app.tessera.ledger.claims(ALICE_ACCOUNT.evmAddress).map((claim) => [claim.epoch, claim.amount])).toEqual([
      [1, '5000'],
      [2, '700'],
    ]);
    await app.close();

    // A restart reads the chain again at once and halts again.
    const again = await startApp(dataDir, chainConfig(rewards));
    await eventually(() => again.app.tessera.settler.halt, 10_000, 'the halt after a restart');
    expect(await metric(again.app, /^tessera_settlement_halted /)).toBe('tessera_settlement_halted 1');
    expect(again.logs.some((line) => line.level === 50 && line.msg.includes('SETTLEMENT HALTED'))).toBe(true);
    expect(await rewards.epochRoot(2)).toBe(NO_ROOT);
  });

  it('an HCS post that fails after the chain post is retried until it lands, once', async () => {
    const rewards = await deployRewards(suite.evm().url, addressOf(DEV_KEYS.poster), 10n ** 16n);
    const operatorKey = PrivateKey.generateED25519();
    const standIn = await HcsStandIn.start({
      topicId: TOPIC_ID,
      operatorId: OPERATOR_ID,
      operatorPublicKeyRaw: operatorKey.publicKey.toBytesRaw(),
    });
    cleanups.push(() => standIn.close());
    // The first attempts meet a node that is down; one lands but its answer is lost.
    standIn.faults.push('unavailable', 'busy', 'lose-answer');
    const { app } = await startApp(tempDir(), {
      ...chainConfig(rewards),
      hederaNetwork: 'local',
      hederaNodes: `${standIn.address}=0.0.3`,
      hederaOperatorId: OPERATOR_ID,
      hederaOperatorKey: operatorKey.toStringDer(),
      hcsTopicId: TOPIC_ID,
    });
    earn(app, 2_500n);
    await app.tessera.settler.closeNow();
    expect(app.tessera.ledger.epochs().find((epoch) => epoch.epoch === 1)).toMatchObject({ status: 'posted', hcsSequence: null });
    expect(await rewards.postsOf(1)).toHaveLength(1);

    const published = await eventually(
      async () => {
        await app.tessera.settler.tick();
        return app.tessera.ledger.epochs().find((epoch) => epoch.epoch === 1 && epoch.hcsSequence !== null);
      },
      20_000,
      'the HCS summary',
    );
    expect(published.hcsSequence).toBe('1');
    expect(standIn.texts().map((text) => JSON.parse(text) as unknown)).toEqual([
      { type: 'tessera.epoch', epoch: 1, root: published.root, total: '2500', txHash: published.txHash },
    ]);
    expect(Number((await metric(app, /^tessera_settlement_failures_total\{step="hcs"\}/))?.split(' ')[1])).toBeGreaterThanOrEqual(1);
    expect(await rewards.postsOf(1)).toHaveLength(1);
  });
});
