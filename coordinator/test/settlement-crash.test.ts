import { PrivateKey } from '@hashgraph/sdk';
import { epochViewSchema, rewardsViewSchema, type EpochView, type RewardsView } from '@tessera/shared';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Ledger } from '../src/rewards/ledger.ts';
import { SettlementJournal } from '../src/rewards/settlement-journal.ts';
import { HcsStandIn } from './support/hcs-stand-in.ts';
import { DEV_KEYS, addressOf, deployRewards, type DeployedRewards } from './support/local-evm.ts';
import { localEvmPerFile } from './support/local-evm-suite.ts';
import { SettlementProcess } from './support/settlement-process.ts';
import { eventually } from './support/test-app.ts';
import { openTestDatabase, testDatabaseUrl } from './support/test-database.ts';

// Settlement must survive `kill -9` at its worst moments. Each test runs the coordinator as a child process
// (support/settlement-child.ts) against Hardhat's EVM node and a gRPC HCS stand-in, kills it with SIGKILL
// at a crash point (TESSERA_CRASH_AT), restarts it on the same database, and checks the chain, the topic
// and the database agree: posted once, recorded, published once, later epochs settle, claims work.

const ALICE = 'A'.repeat(43);
const BOB = 'B'.repeat(43);
const ALICE_ADDRESS = '0x0000000000000000000000000000000000000fa1';
const ACCOUNTS = {
  [ALICE]: { accountId: '0.0.4001', evmAddress: ALICE_ADDRESS },
  [BOB]: { accountId: '0.0.4002', evmAddress: '0x0000000000000000000000000000000000000fa2' },
} as const;
const OPERATOR_ID = '0.0.1001';
const TOPIC_ID = '0.0.5000';
const operatorKey = PrivateKey.generateED25519();

const suite = localEvmPerFile();
const { cleanups } = suite;

interface Setup {
  rewards: DeployedRewards;
  standIn: HcsStandIn;
  dataDir: string;
  start(crashAt?: 'after-chain-post' | 'after-hcs-post' | 'mid-claim'): Promise<SettlementProcess>;
}

/** A fresh distributor, topic node and data directory: each test's epochs start at 1. */
async function setup(): Promise<Setup> {
  const rewards = await deployRewards(suite.evm().url, addressOf(DEV_KEYS.poster), 10n ** 16n);
  const standIn = await HcsStandIn.start({
    topicId: TOPIC_ID,
    operatorId: OPERATOR_ID,
    operatorPublicKeyRaw: operatorKey.publicKey.toBytesRaw(),
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-settlement-crash-'));
  const children: SettlementProcess[] = [];
  cleanups.push(async () => {
    for (const child of children) await child.stop();
    await standIn.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    rewards,
    standIn,
    dataDir,
    async start(crashAt) {
      const databaseUrl = await testDatabaseUrl(dataDir);
      const child = await SettlementProcess.start({
        TESSERA_DATA_DIR: dataDir,
        ...(databaseUrl === '' ? {} : { TESSERA_DATABASE_URL: databaseUrl }),
        TESSERA_EVM_RPC_URL: suite.evm().url,
        TESSERA_REWARD_DISTRIBUTOR: rewards.distributor,
        TESSERA_SETTLEMENT_KEY: DEV_KEYS.poster,
        TESSERA_HEDERA_NETWORK: 'local',
        TESSERA_HEDERA_NODES: `${standIn.address}=0.0.3`,
        TESSERA_HEDERA_OPERATOR_ID: OPERATOR_ID,
        TESSERA_HEDERA_OPERATOR_KEY: operatorKey.toStringDer(),
        TESSERA_HCS_TOPIC_ID: TOPIC_ID,
        TESSERA_EPOCH_LENGTH_MS: '3600000',
        TESSERA_TEST_ACCOUNTS: JSON.stringify(ACCOUNTS),
        LOG_LEVEL: 'info',
        ...(crashAt === undefined ? {} : { TESSERA_CRASH_AT: crashAt }),
      });
      children.push(child);
      return child;
    },
  };
}

/** Credit earned while no coordinator runs, written as the rewards keeper would. */
async function seed(dataDir: string, credits: Array<[string, bigint]>): Promise<void> {
  const db = await openTestDatabase(dataDir);
  const ledger = new Ledger(db, { epochLengthMs: 3_600_000 });
  for (const [publicKey, amount] of credits) {
    ledger.credit({ taskId: randomUUID(), publicKey, model: 'tessera/tiny-gpt2', units: 1n, amount, escrow: false });
  }
  db.close();
}

/** What the database says about an epoch, read while the coordinator is down. */
async function recorded(
  dataDir: string,
  epoch: number,
): Promise<{ status: string; root: string | null; tx_hash: string | null; hcs_sequence: string | null }> {
  const db = await openTestDatabase(dataDir);
  try {
    return z
      .object({ status: z.string(), root: z.string().nullable(), tx_hash: z.string().nullable(), hcs_sequence: z.string().nullable() })
      .parse(db.get(`SELECT status, root, tx_hash, hcs_sequence FROM epochs WHERE epoch = ?`, [epoch]));
  } finally {
    db.close();
  }
}

async function epochs(url: string): Promise<EpochView[]> {
  return z.object({ epochs: z.array(epochViewSchema) }).parse(await (await fetch(`${url}/api/v1/epochs`)).json()).epochs;
}

/** Waits until the epoch is on chain and on the topic, as the coordinator reports it. */
async function settled(url: string, epoch: number): Promise<EpochView> {
  return eventually(
    async () => (await epochs(url)).find((entry) => entry.epoch === epoch && entry.status === 'posted' && entry.hcsSequence !== null),
    30_000,
    `epoch ${epoch} posted and published`,
  );
}

async function rewardsOf(url: string, publicKey: string): Promise<RewardsView> {
  return rewardsViewSchema.parse(await (await fetch(`${url}/api/v1/rewards/${publicKey}`)).json());
}

function topicMessages(standIn: HcsStandIn): Array<{ epoch: number; root: string }> {
  return standIn.texts().map((text) => z.object({ epoch: z.number(), root: z.string() }).parse(JSON.parse(text)));
}

describe('settlement survives kill -9', () => {
  it('after postEpoch landed: the restart finds the root on chain and records it instead of posting again; later epochs and claims work', async () => {
    const { rewards, standIn, dataDir, start } = await setup();
    await seed(dataDir, [
      [ALICE, 5_000n],
      [BOB, 7_000n],
    ]);
    const crashing = await start('after-chain-post');
    crashing.send('close');
    expect(await crashing.exited).toMatchObject({ signal: 'SIGKILL' });

    // The chain has the root; the coordinator died before writing that down.
    const before = await recorded(dataDir, 1);
    expect(before).toMatchObject({ status: 'closed', tx_hash: null, hcs_sequence: null });
    const posts = await rewards.postsOf(1);
    expect(posts).toHaveLength(1);
    expect(await rewards.epochRoot(1)).toBe(before.root);
    expect(standIn.messages).toHaveLength(0);

    await seed(dataDir, [[ALICE, 1_000n]]);
    const restarted = await start();
    const epoch1 = await settled(restarted.url, 1);
    expect(epoch1).toMatchObject({ total: '12000', accounts: 2, txHash: posts[0], hcsSequence: '1' });
    expect(restarted.output.join('')).toContain('already on chain');
    expect(await rewards.postsOf(1)).toEqual(posts);
    expect(topicMessages(standIn)).toEqual([{ epoch: 1, root: before.root }]);

    // A later epoch settles as usual.
    restarted.send('close');
    await restarted.waitFor(/settlement-child closed \{"epoch":2/);
    expect(await settled(restarted.url, 2)).toMatchObject({ total: '1000', hcsSequence: '2' });
    expect(await rewards.postsOf(2)).toHaveLength(1);

    // And the contributor claims both epochs with the proofs the coordinator keeps.
    const alice = await rewardsOf(restarted.url, ALICE);
    expect(alice.epochs.map((claim) => [claim.epoch, claim.amount, claim.posted])).toEqual([
      [1, '5000', true],
      [2, '1000', true],
    ]);
    for (const claim of alice.epochs) await rewards.claim(claim.epoch, claim.account as Hex, BigInt(claim.amount), claim.proof as Hex[]);
    expect(await rewards.balanceOf(ALICE_ADDRESS)).toBe(6_000n);
    expect((await rewardsOf(restarted.url, ALICE)).balances).toMatchObject({ claimable: '0', claimed: '6000' });
  });

  it('after the HCS message landed: the restart sends the same signed transaction, the node knows it, the summary is on the topic once', async () => {
    const { rewards, standIn, dataDir, start } = await setup();
    await seed(dataDir, [[ALICE, 3_000n]]);
    const crashing = await start('after-hcs-post');
    crashing.send('close');
    expect(await crashing.exited).toMatchObject({ signal: 'SIGKILL' });

    expect(await recorded(dataDir, 1)).toMatchObject({ status: 'posted', hcs_sequence: null });
    expect(standIn.messages).toHaveLength(1);
    const landed = standIn.messages[0]?.transactionId;
    // The signed transaction was written down before it was sent: that is what the restart sends again.
    const db = await openTestDatabase(dataDir);
    expect(new SettlementJournal(db).hcsTransactionId(1)).toBe(landed);
    db.close();

    const restarted = await start();
    expect(await settled(restarted.url, 1)).toMatchObject({ hcsSequence: '1' });
    expect(standIn.messages.map((message) => message.transactionId)).toEqual([landed]);
    expect(standIn.refusals).toContainEqual({ transactionId: landed, code: 'DUPLICATE_TRANSACTION' });
    expect(await rewards.postsOf(1)).toHaveLength(1);
  });

  it('mid-claim: the claim landed on chain but the coordinator died before recording it; after the restart it shows as claimed and cannot be paid twice', async () => {
    const { rewards, dataDir, start } = await setup();
    await seed(dataDir, [[ALICE, 4_000n]]);
    const first = await start();
    first.send('close');
    await settled(first.url, 1);
    const [claim] = (await rewardsOf(first.url, ALICE)).epochs;
    if (claim === undefined) throw new Error('no claim for Alice');
    expect(claim).toMatchObject({ epoch: 1, amount: '4000', claimed: false });
    await first.stop();

    // The contributor's wallet claims on chain; the coordinator learns of it only when it asks the chain.
    await rewards.claim(claim.epoch, claim.account as Hex, BigInt(claim.amount), claim.proof as Hex[]);
    const crashing = await start('mid-claim');
    await expect(fetch(`${crashing.url}/api/v1/rewards/${ALICE}`)).rejects.toThrow();
    expect(await crashing.exited).toMatchObject({ signal: 'SIGKILL' });

    const restarted = await start();
    const after = await rewardsOf(restarted.url, ALICE);
    expect(after.epochs).toMatchObject([{ epoch: 1, claimed: true }]);
    expect(after.balances).toMatchObject({ claimable: '0', claimed: '4000' });
    await expect(rewards.claim(claim.epoch, claim.account as Hex, BigInt(claim.amount), claim.proof as Hex[])).rejects.toThrow(
      /AlreadyClaimed/,
    );
    expect(await rewards.balanceOf(ALICE_ADDRESS)).toBe(4_000n);
  });
});
