import type { ClaimableEpoch } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { WalletSignerError } from '../wallet/wallet-signer.ts';
import type { WalletSigner } from '../wallet/wallet-signer.ts';
import { claimErrorText } from './claim-errors.ts';
import { claimReward } from './claim-reward.ts';
import type { ClaimStep } from './claim-reward.ts';
import { FakeRewardChain } from '../../test-support/fake-reward-chain.ts';
import { createMirrorContracts } from './mirror-contracts.ts';

const claim: ClaimableEpoch = {
  epoch: 3,
  account: '0x00000000000000000000000000000000000004d2',
  amount: '120000',
  proof: [`0x${'ab'.repeat(32)}`],
  root: `0x${'cd'.repeat(32)}`,
  claimed: false,
  posted: true,
};

async function setup(options: { post?: boolean } = {}) {
  const chain = new FakeRewardChain();
  if (options.post !== false) chain.post(claim);
  const wallet = chain.wallet();
  await wallet.connect();
  const steps: ClaimStep[] = [];
  const run = (overrides: Partial<Parameters<typeof claimReward>[0]> = {}) =>
    claimReward({
      claim,
      distributorAddress: chain.distributor,
      signer: wallet,
      mirror: createMirrorContracts(chain.mirrorUrl, chain.fetch),
      onStep: (step) => steps.push(step),
      confirmPollMs: 1,
      ...overrides,
    });
  return { chain, wallet, steps, run };
}

describe('claimReward', () => {
  it('checks the call on the mirror node, sends it through the wallet with the estimate + 20 %, and waits for the record', async () => {
    const { chain, steps, run } = await setup();
    const receipt = await run();
    expect(receipt).toEqual({ transactionId: expect.stringMatching(/^0\.0\.4321@/), confirmed: true });
    expect(steps).toEqual(['checking', 'signing', 'confirming']);
    expect(chain.sent).toHaveLength(1);
    expect(chain.sent[0]?.gas).toBe(114_001);
    expect(chain.isClaimed(3, claim.account)).toBe(true);
  });

  it('sends nothing when the distributor would refuse, and names its custom error', async () => {
    const { chain, run } = await setup();
    await run();
    const again = run();
    await expect(again).rejects.toThrow(
      'The distributor would refuse this claim, so nothing was sent: AlreadyClaimed: epoch 3 was already claimed for this account.',
    );
    expect(chain.sent).toHaveLength(1);
    await expect(run({ claim: { ...claim, epoch: 8 } })).rejects.toThrow(/UnknownEpoch: epoch 8 has no root/);
    const fresh = await setup();
    await expect(fresh.run({ claim: { ...claim, amount: '999999' } })).rejects.toThrow(
      /: InvalidProof: the proof does not match the posted root/,
    );
    expect(fresh.chain.sent).toHaveLength(0);
  });

  it('sends with the default gas when the mirror node is down, and decodes a revert from the record when the dry run missed it', async () => {
    const { chain, run } = await setup();
    chain.claimed.add(`3:${claim.account}`);
    chain.mirrorDown = true;
    const sending = run({ confirmTimeoutMs: 0 });
    // Mirror down: no dry run, the default gas, and no record to read in time.
    await expect(sending).resolves.toMatchObject({ confirmed: false });
    expect(chain.sent[0]?.gas).toBe(250_000);
    chain.mirrorDown = false;
    // A dry run that passed (state changed between it and consensus): the record's revert is decoded.
    await expect(
      run({
        mirror: createMirrorContracts(chain.mirrorUrl, async (input, init) =>
          String(input).endsWith('/contracts/call') ? Response.json({ result: '0x1' }) : chain.fetch(input, init),
        ),
      }),
    ).rejects.toThrow(/^The claim transaction 0\.0\.4321@\d+\.000000001 failed: AlreadyClaimed: epoch 3 was already claimed/);
  });

  it('sends without a mirror node and leaves the outcome to the coordinator', async () => {
    const { chain, steps, run } = await setup();
    expect(await run({ mirror: null })).toMatchObject({ confirmed: false });
    expect(steps).toEqual(['checking', 'signing']);
    expect(chain.sent[0]?.gas).toBe(250_000);
  });

  it("passes on the wallet's refusal, which the page words plainly", async () => {
    const { wallet, chain, run } = await setup();
    wallet.beforeSend = () => {
      throw new WalletSignerError('rejected', 'The wallet declined the transaction: USER_REJECT');
    };
    const declined = await run().catch((error: unknown) => error);
    expect(claimErrorText(declined)).toBe('You declined the claim in the wallet: nothing was sent and nothing was paid.');
    wallet.beforeSend = () => {
      throw new WalletSignerError('failed', 'The wallet could not send the transaction: INSUFFICIENT_PAYER_BALANCE');
    };
    expect(claimErrorText(await run().catch((error: unknown) => error))).toMatch(/^The wallet's account has too little HBAR/);
    expect(chain.claimed.size).toBe(0);
  });

  it('needs a wallet that can send contract calls', async () => {
    const { wallet, run } = await setup();
    const withoutCalls: WalletSigner = {
      kind: 'local',
      state: 'connected',
      connect: () => wallet.connect(),
      signMessage: () => wallet.signMessage(),
      disconnect: async () => undefined,
      subscribe: () => () => undefined,
    };
    await expect(run({ signer: withoutCalls })).rejects.toThrow(/cannot send contract calls/);
  });
});
