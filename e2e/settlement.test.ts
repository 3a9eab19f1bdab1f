import { PrivateKey } from '@hashgraph/sdk';
import {
  MODEL_CATALOG,
  TINY_GPT2_ID,
  epochViewSchema,
  findModel,
  formatAmount,
  hederaAccountIdSchema,
  longZeroEvmAddress,
  rewardsViewSchema,
} from '@tessera/shared';
import type { RewardsView } from '@tessera/shared';
import { HcsStandIn, MirrorNodeServer } from '@tessera/coordinator/testing';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import type { Hex } from 'viem';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { DEV_KEYS, addressOf, deployRewards, startLocalEvm, type DeployedRewards, type LocalEvm } from './support/local-evm.ts';
import { waitForGuards, waitForServingTabs } from './support/network-state.ts';

/** Hardhat's dev account #2: the coordinator's poster key in this test. */
const POSTER_KEY: Hex = DEV_KEYS.poster;
const ACCOUNT_ID = '0.0.5005';
const OPERATOR_ID = '0.0.1001';
const TOPIC_ID = '0.0.5000';
const RATE_PER_UNIT = 1000n;

describe('rewards: verified work → credit → epoch root on chain → claim', () => {
  let evm: LocalEvm;
  let rewards: DeployedRewards;
  let mirror: MirrorNodeServer;
  let hcs: HcsStandIn;
  let coordinator: RunningCoordinator;
  let browser: Browser;
  let worker: Page;
  const walletKey = PrivateKey.generateED25519();
  const operatorKey = PrivateKey.generateED25519();

  beforeAll(async () => {
    evm = await startLocalEvm();
    rewards = await deployRewards(evm.url, addressOf(POSTER_KEY), 10n ** 16n);
    mirror = await MirrorNodeServer.start();
    mirror.add({ account: ACCOUNT_ID, key: { _type: 'ED25519', key: walletKey.publicKey.toStringRaw() }, evm_address: null });
    // A consensus node on loopback speaking the SDK's gRPC protocol: the epoch summary goes there for real.
    hcs = await HcsStandIn.start({ topicId: TOPIC_ID, operatorId: OPERATOR_ID, operatorPublicKeyRaw: operatorKey.publicKey.toBytesRaw() });
    coordinator = await startCoordinator({
      evmRpcUrl: evm.url,
      rewardDistributorAddress: rewards.distributor,
      settlementPrivateKey: POSTER_KEY,
      hederaNetwork: 'local',
      hederaNodes: `${hcs.address}=0.0.3`,
      hederaOperatorId: OPERATOR_ID,
      hederaOperatorKey: operatorKey.toStringDer(),
      hcsTopicId: TOPIC_ID,
      mirrorNodeUrl: mirror.url,
      rewardPerUnit: RATE_PER_UNIT.toString(),
      epochLengthMs: 3_600_000,
    });
    browser = await launchChromium();
    const guard = await openVolunteerTab(await browser.newContext(), coordinator.url, { models: [TINY_GPT2_ID], role: 'guard' });
    worker = await openVolunteerTab(await browser.newContext(), coordinator.url, {
      models: [TINY_GPT2_ID],
      fragment: { wallet: 'local', account: ACCOUNT_ID, walletKey: walletKey.toStringDer() },
    });
    await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => [worker, guard].map(pageLogs).join('\n---\n'));
    await waitForGuards(coordinator.url, 1, [TINY_GPT2_ID], 60_000, () => pageLogs(guard));
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
    await mirror?.close();
    await hcs?.close();
    await evm?.stop();
  });

  it('pays the worker exactly what its verified tokens earned, through the contract', async () => {
    // Link the wallet through the page, as a volunteer would (a development key instead of HashPack).
    await worker.getByTestId('wallet-use-local-key').click();
    await expect.poll(() => worker.getByTestId('wallet-account-id').textContent(), { timeout: 30_000 }).toBe(ACCOUNT_ID);
    const evmAddress = longZeroEvmAddress(hederaAccountIdSchema.parse(ACCOUNT_ID));
    expect((await worker.getByTestId('wallet-evm-address').textContent())?.toLowerCase()).toBe(evmAddress.toLowerCase());

    const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;
    if (!canary) throw new Error('no canary');
    const client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 120_000 });
    let generated = 0;
    for (const prompt of ['Tessera', 'Tessera is', 'volunteer network']) {
      const completion = await client.chat.completions.create({
        model: TINY_GPT2_ID,
        messages: [{ role: 'user', content: prompt }],
        max_tokens: 16,
        temperature: 0,
      });
      generated += completion.usage?.completion_tokens ?? 0;
    }
    expect(generated).toBeGreaterThan(0);

    const nodeId = await worker.getByTestId('node-id').textContent();
    const publicKey = coordinator.app.tessera.registry.get(z.uuid().parse(nodeId) as never)?.key.publicKey;
    if (!publicKey) throw new Error('worker session not found');
    const view = async (): Promise<RewardsView> =>
      rewardsViewSchema.parse(await (await fetch(`${coordinator.url}/api/v1/rewards/${publicKey}`)).json());

    // Guards confirmed every result of this newcomer, so nothing waits in escrow.
    const modelMultiplierMilli = BigInt(Math.round((findModel(MODEL_CATALOG, TINY_GPT2_ID)?.rewardMultiplier ?? 0) * 1000));
    const expected = (BigInt(generated) * RATE_PER_UNIT * modelMultiplierMilli) / 1000n;
    const before = await view();
    expect(before.balances).toMatchObject({ escrowed: '0', credited: expected.toString(), claimable: '0', claimed: '0' });
    expect(before.history.map((entry) => entry.units).reduce((sum, units) => sum + Number(units), 0)).toBe(generated);

    const closed = await coordinator.app.tessera.settler.closeNow();
    expect(closed).toMatchObject({ epoch: 1, total: expected, accounts: 1 });
    const epochs = z
      .object({ epochs: z.array(epochViewSchema) })
      .parse(await (await fetch(`${coordinator.url}/api/v1/epochs`)).json()).epochs;
    const settled = epochs.find((epoch) => epoch.epoch === 1);
    expect(settled).toMatchObject({ status: 'posted', total: expected.toString(), accounts: 1, hcsSequence: '1' });
    expect(settled?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await rewards.postsOf(1)).toEqual([settled?.txHash]);
    // The summary on the topic: signed by the operator's key (the stand-in checked it), once.
    expect(hcs.texts().map((text) => JSON.parse(text) as unknown)).toEqual([
      { type: 'tessera.epoch', epoch: 1, root: settled?.root, total: expected.toString(), txHash: settled?.txHash },
    ]);

    const claimable = await view();
    expect(claimable.balances).toMatchObject({ credited: '0', claimable: expected.toString() });
    const claim = claimable.epochs[0];
    if (!claim) throw new Error('no claim');
    expect(claim).toMatchObject({ epoch: 1, amount: expected.toString(), posted: true, claimed: false });

    // Anyone may submit the claim; the tokens go to the linked account's address.
    await rewards.claim(claim.epoch, claim.account as Hex, BigInt(claim.amount), claim.proof as Hex[]);
    expect(await rewards.balanceOf(evmAddress as Hex)).toBe(expected);
    await expect(rewards.claim(claim.epoch, claim.account as Hex, BigInt(claim.amount), claim.proof as Hex[])).rejects.toThrow();
    expect((await view()).balances).toMatchObject({ claimable: '0', claimed: expected.toString() });
    // The volunteer sees the same on the page.
    await expect.poll(() => worker.getByTestId('rewards-claimed').textContent(), { timeout: 20_000 }).toContain(formatAmount(expected));
    expect(DEV_KEYS.claimer).not.toBe(POSTER_KEY);
  });
});
