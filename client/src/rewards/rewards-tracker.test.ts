import type { ClaimableEpoch, RewardsView } from '@tessera/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Fetch } from '../api/openai-client.ts';
import { WalletSignerError } from '../wallet/wallet-signer.ts';
import type { WalletSigner, WalletSignerKind } from '../wallet/wallet-signer.ts';
import { LOCAL_KEY_REASON, NO_DISTRIBUTOR_REASON } from './claim-availability.ts';
import { claimReward } from './claim-reward.ts';
import { FakeRewardChain } from '../../test-support/fake-reward-chain.ts';
import type { FakeChainWallet } from '../../test-support/fake-reward-chain.ts';
import { createMirrorContracts } from './mirror-contracts.ts';
import { createRewardsApi } from './rewards-api.ts';
import { RewardsTracker } from './rewards-tracker.ts';
import type { ClaimWallet, EpochClaimPhase, RewardsSnapshot } from './rewards-tracker.ts';

const KEY = 'A'.repeat(43);
const OTHER_KEY = 'B'.repeat(43);
const account = '0x00000000000000000000000000000000000004d2';

const claim: ClaimableEpoch = {
  epoch: 3,
  account,
  amount: '120000',
  proof: [`0x${'ab'.repeat(32)}`],
  root: `0x${'cd'.repeat(32)}`,
  claimed: false,
  posted: true,
};

function viewOf(publicKey: string, escrowed: string, epochs: ClaimableEpoch[] = []): RewardsView {
  return {
    publicKey,
    tier: 'probation',
    balances: {
      escrowed,
      credited: '0',
      claimable: epochs
        .filter((e) => !e.claimed)
        .reduce((sum, e) => sum + BigInt(e.amount), 0n)
        .toString(),
      claimed: '0',
      slashed: '0',
    },
    linkedAccount: epochs.length === 0 ? null : { accountId: '0.0.1234', evmAddress: account },
    epochs,
    history: [{ taskId: 't-1', epoch: 3, model: 'tessera/tiny-gpt2', units: '12', amount: escrowed, status: 'escrow', createdAt: 1 }],
  };
}

/**
 * The coordinator's rewards and wallet-config endpoints over a fake chain: like the real route, a
 * posted claim reads as claimed once the distributor says so.
 */
class FakeCoordinator {
  readonly views = new Map<string, RewardsView>();
  config: Record<string, unknown> = {
    network: 'testnet',
    linkingAvailable: true,
    unavailableReason: null,
    walletConnectProjectId: 'p',
    challengeTtlMs: 300_000,
  };
  readonly requests: string[] = [];
  /** Answer the next N reads with 503 in OpenAI's error shape. */
  failures = 0;

  constructor(readonly chain: FakeRewardChain) {
    this.config.distributorAddress = chain.distributor;
    this.config.mirrorNodeUrl = chain.mirrorUrl;
  }

  readonly fetch: Fetch = async (input) => {
    const path = new URL(input).pathname;
    this.requests.push(path);
    if (this.failures > 0) {
      this.failures--;
      return Response.json(
        { error: { message: 'The coordinator is restarting.', type: 'server_error', code: 'internal_error', param: null } },
        { status: 503 },
      );
    }
    if (path === '/api/v1/wallet/config') return Response.json(this.config);
    const publicKey = /^\/api\/v1\/rewards\/(.+)$/.exec(path)?.[1];
    const view = publicKey === undefined ? undefined : this.views.get(publicKey);
    if (view === undefined) return new Response('not found', { status: 404 });
    return Response.json({
      ...view,
      epochs: view.epochs.map((entry) => ({ ...entry, claimed: entry.claimed || this.chain.isClaimed(entry.epoch, entry.account) })),
    });
  };
}

class FakeClaimWallet implements ClaimWallet {
  signerKind: WalletSignerKind | null = null;
  localWallet: object | null = null;
  hashConnectUnavailable: string | null = null;
  connects = 0;
  constructor(readonly signer: FakeChainWallet) {}
  async connectedSigner(): Promise<WalletSigner> {
    this.connects++;
    await this.signer.connect();
    this.signerKind = 'hashconnect';
    return this.signer;
  }
}

const trackers: RewardsTracker[] = [];

function setup(options: { pollIntervalMs?: number } = {}) {
  const chain = new FakeRewardChain();
  const coordinator = new FakeCoordinator(chain);
  const tracker = new RewardsTracker({
    api: createRewardsApi('http://coordinator.test', coordinator.fetch),
    claimReward: (claimOptions) => claimReward({ ...claimOptions, confirmPollMs: 1 }),
    mirror: (baseUrl) => createMirrorContracts(baseUrl, chain.fetch),
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    now: () => 42,
  });
  trackers.push(tracker);
  const snapshots: RewardsSnapshot[] = [];
  tracker.subscribe((snapshot) => snapshots.push(snapshot));
  return { chain, coordinator, tracker, snapshots };
}

afterEach(() => {
  for (const tracker of trackers.splice(0)) tracker.stop();
  vi.useRealTimers();
});

describe('RewardsTracker: reading', () => {
  it('reads the followed key at once and every interval while started, parsed with the shared schema', async () => {
    vi.useFakeTimers();
    const { coordinator, tracker } = setup({ pollIntervalMs: 5000 });
    coordinator.views.set(KEY, viewOf(KEY, '120000'));
    tracker.follow(KEY);
    expect(coordinator.requests).toEqual([]);
    tracker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.snapshot).toMatchObject({ publicKey: KEY, error: null, updatedAt: 42, view: { balances: { escrowed: '120000' } } });
    expect(tracker.snapshot.settings).toEqual({
      network: 'testnet',
      distributorAddress: coordinator.chain.distributor,
      mirrorNodeUrl: coordinator.chain.mirrorUrl,
    });

    coordinator.views.set(KEY, viewOf(KEY, '240000'));
    await vi.advanceTimersByTimeAsync(4999);
    expect(tracker.snapshot.view?.balances.escrowed).toBe('120000');
    await vi.advanceTimersByTimeAsync(1);
    expect(tracker.snapshot.view?.balances.escrowed).toBe('240000');
    // The settings are read once; the rewards on every tick.
    expect(coordinator.requests.filter((path) => path === '/api/v1/wallet/config')).toHaveLength(1);
    expect(coordinator.requests.filter((path) => path === `/api/v1/rewards/${KEY}`)).toHaveLength(2);
  });

  it('keeps the last view through a failed read, says why, and clears the error on the next good one', async () => {
    vi.useFakeTimers();
    const { coordinator, tracker } = setup({ pollIntervalMs: 5000 });
    coordinator.views.set(KEY, viewOf(KEY, '120000'));
    tracker.follow(KEY);
    tracker.start();
    await vi.advanceTimersByTimeAsync(0);
    coordinator.failures = 1;
    await vi.advanceTimersByTimeAsync(5000);
    expect(tracker.snapshot.error).toBe("Could not read this tab's rewards: The coordinator is restarting. (internal_error, HTTP 503)");
    expect(tracker.snapshot.view?.balances.escrowed).toBe('120000');
    await vi.advanceTimersByTimeAsync(5000);
    expect(tracker.snapshot.error).toBeNull();
  });

  it('refuses a body that does not parse', async () => {
    const { coordinator, tracker } = setup();
    coordinator.views.set(KEY, { ...viewOf(KEY, '1'), balances: { ...viewOf(KEY, '1').balances, escrowed: '-5' } });
    tracker.follow(KEY);
    tracker.start();
    await tracker.refresh();
    expect(tracker.snapshot.error).toMatch(/unexpected body/);
    expect(tracker.snapshot.view).toBeNull();
  });

  it('stops reading when stopped, and reads nothing without a key', async () => {
    vi.useFakeTimers();
    const { coordinator, tracker } = setup({ pollIntervalMs: 5000 });
    coordinator.views.set(KEY, viewOf(KEY, '1'));
    tracker.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(coordinator.requests).toEqual([]);
    tracker.follow(KEY);
    await vi.advanceTimersByTimeAsync(0);
    tracker.stop();
    const reads = coordinator.requests.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(coordinator.requests).toHaveLength(reads);
  });

  it("forgets the previous key's view when it follows another", async () => {
    const { coordinator, tracker } = setup();
    coordinator.views.set(KEY, viewOf(KEY, '1'));
    coordinator.views.set(OTHER_KEY, viewOf(OTHER_KEY, '2'));
    tracker.follow(KEY);
    tracker.start();
    await tracker.refresh();
    tracker.follow(OTHER_KEY);
    expect(tracker.snapshot.view).toBeNull();
    await tracker.refresh();
    expect(tracker.snapshot.view?.publicKey).toBe(OTHER_KEY);
  });
});

describe('RewardsTracker: claiming', () => {
  async function claimable() {
    const context = setup();
    context.chain.post(claim);
    context.coordinator.views.set(KEY, viewOf(KEY, '0', [claim]));
    context.tracker.follow(KEY);
    context.tracker.start();
    await context.tracker.refresh();
    const wallet = new FakeClaimWallet(context.chain.wallet());
    return { ...context, wallet };
  }

  it('goes connecting → checking → signing → confirming → confirmed, then reads the epoch as claimed', async () => {
    const { tracker, wallet, snapshots, chain } = await claimable();
    const from = snapshots.length;
    await tracker.claim(3, wallet);
    const phases = snapshots.slice(from).map((snapshot) => snapshot.claims[3]?.phase);
    expect(phases.filter((phase, i) => phase !== phases[i - 1])).toEqual<(EpochClaimPhase | undefined)[]>([
      'connecting',
      'checking',
      'signing',
      'confirming',
      'confirmed',
    ]);
    expect(tracker.snapshot.claims[3]?.transactionId).toMatch(/^0\.0\.4321@/);
    expect(chain.isClaimed(3, account)).toBe(true);
    await vi.waitFor(() => expect(tracker.snapshot.view?.epochs[0]?.claimed).toBe(true));
    expect(tracker.snapshot.claimError).toBeNull();
  });

  it('says the user declined, and forgets the attempt', async () => {
    const { tracker, wallet } = await claimable();
    wallet.signer.beforeSend = () => {
      throw new WalletSignerError('rejected', 'The wallet declined the transaction: USER_REJECT');
    };
    await tracker.claim(3, wallet);
    expect(tracker.snapshot.claimError).toBe('You declined the claim in the wallet: nothing was sent and nothing was paid.');
    expect(tracker.snapshot.claims[3]).toBeUndefined();
  });

  it("reports the distributor's custom error from the dry run, and sends nothing", async () => {
    const { tracker, wallet, chain } = await claimable();
    chain.claimed.add(`3:${account}`);
    await tracker.claim(3, wallet);
    expect(tracker.snapshot.claimError).toMatch(/^The distributor would refuse this claim, so nothing was sent: AlreadyClaimed/);
    expect(chain.sent).toEqual([]);
  });

  it('does not ask the wallet in local-key mode or without a distributor, and says why', async () => {
    const { tracker, wallet, coordinator } = await claimable();
    wallet.localWallet = { accountId: '0.0.5' };
    await tracker.claim(3, wallet);
    expect(tracker.snapshot.claimError).toBe(LOCAL_KEY_REASON);
    expect(wallet.connects).toBe(0);

    const other = setup();
    other.coordinator.config = { ...coordinator.config, distributorAddress: undefined };
    other.coordinator.views.set(KEY, viewOf(KEY, '0', [claim]));
    other.tracker.follow(KEY);
    other.tracker.start();
    await other.tracker.refresh();
    await other.tracker.claim(3, new FakeClaimWallet(other.chain.wallet()));
    expect(other.tracker.snapshot.claimError).toBe(NO_DISTRIBUTOR_REASON);
  });

  it('can be cancelled while the wallet library never starts (no relay), leaving no error behind', async () => {
    const { tracker, wallet, chain } = await claimable();
    wallet.connectedSigner = () => new Promise<WalletSigner>(() => undefined);
    const claiming = tracker.claim(3, wallet);
    expect(tracker.snapshot.claims[3]?.phase).toBe('connecting');
    tracker.cancelClaim(3);
    await claiming;
    expect(tracker.snapshot.claims[3]).toBeUndefined();
    expect(tracker.snapshot.claimError).toBeNull();
    expect(chain.sent).toEqual([]);
  });

  it('ignores an epoch it does not list, and a second press while one claim of that epoch runs', async () => {
    const { tracker, wallet, chain } = await claimable();
    await tracker.claim(99, wallet);
    expect(wallet.connects).toBe(0);
    await Promise.all([tracker.claim(3, wallet), tracker.claim(3, wallet)]);
    expect(chain.sent).toHaveLength(1);
  });
});
