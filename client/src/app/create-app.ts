import { fetchNetworkSnapshot } from '../api/network-client.ts';
import { OpenAIClient } from '../api/openai-client.ts';
import { DashboardState } from '../dashboard/dashboard-state.svelte.ts';
import { NetworkRewardsState } from '../dashboard/network-rewards-state.svelte.ts';
import { GuardOutlook } from '../guard/guard-outlook.svelte.ts';
import { identityProofBits } from '../identity/identity-proof.ts';
import { loadTabIdentity } from '../identity/identity-store.browser.ts';
import type { KeyRole } from '../identity/role-identity.ts';
import { CacheModelFileStore } from '../model-files/model-file-store.browser.ts';
import { fetchNetworkCatalog } from '../model-files/network-catalog.ts';
import { probeDevice } from '../node/device-probe.browser.ts';
import { DirectTaskClient } from '../node/direct-task-client.ts';
import { startEngineWorker } from '../node/start-engine-worker.browser.ts';
import { VolunteerNode } from '../node/volunteer-node.ts';
import { parseVolunteerOptions } from '../node/volunteer-options.ts';
import { createBrowserPeerNetwork } from '../peer/peer-network.browser.ts';
import { PlaygroundState } from '../playground/playground-state.svelte.ts';
import { createMirrorContracts } from '../rewards/mirror-contracts.ts';
import { createRewardsApi } from '../rewards/rewards-api.ts';
import { RewardsState } from '../rewards/rewards-state.svelte.ts';
import { RewardsTracker } from '../rewards/rewards-tracker.ts';
import { NodeStanding } from '../volunteer/node-standing.svelte.ts';
import { VolunteerState } from '../volunteer/volunteer-state.svelte.ts';
import { storedLinkIdentity } from '../wallet/stored-link-identity.browser.ts';
import type { TabKeyHolder } from '../wallet/stored-link-identity.browser.ts';
import { createWalletApi } from '../wallet/wallet-api.ts';
import { WalletLinkState } from '../wallet/wallet-link-state.svelte.ts';
import { parseWalletOptions } from '../wallet/wallet-options.ts';
import { Router } from './router.svelte.ts';

/** Everything the pages read, made once per page load. */
export interface TesseraApp {
  router: Router;
  volunteer: VolunteerState;
  /** The guard page's view of the network (why no check comes). */
  guardOutlook: GuardOutlook;
  wallet: WalletLinkState;
  rewards: RewardsState;
  playground: PlaygroundState;
  dashboard: DashboardState;
  networkRewards: NetworkRewardsState;
}

/**
 * The composition root: builds the app's parts from the browser it runs in (URL, WebRTC, Cache
 * Storage, IndexedDB, the engine Web Worker) and wires them. Components construct nothing; `main.ts`
 * calls this once and `app.svelte` hands the results down by context. It first asks the coordinator for
 * its catalog (an operator's models, their file hashes and known answers) and hub URL; `?hub=` overrides
 * the hub for this tab.
 */
export async function createApp(): Promise<TesseraApp> {
  const { options, warnings } = parseVolunteerOptions(location.search, location.pathname, location.origin);
  const origin = options.coordinatorOrigin;
  const { catalog, warning } = await fetchNetworkCatalog(origin);
  const node = new VolunteerNode({
    options,
    warnings: warning === null ? warnings : [...warnings, warning],
    catalog: catalog.models,
    pageOrigin: location.origin,
    hubUrl: options.hubUrl ?? catalog.hubUrl,
    userAgent: navigator.userAgent,
    probeDevice,
    // Workers and guards prove work for their key at the difficulty the coordinator publishes. Each role
    // has its own key, so a guard tab can check the worker tab of its own browser profile.
    loadIdentity: (mode) => loadTabIdentity(mode, () => identityProofBits(origin), undefined, options.role),
    startEngine: startEngineWorker,
    modelFileStore: CacheModelFileStore.available() ? new CacheModelFileStore() : null,
    createPeerNetwork: options.peers ? createBrowserPeerNetwork : null,
    fetch: (url) => fetch(url),
  });
  // A closing tab offers its tasks to neighbours; whatever they do not take returns to the queue.
  addEventListener('pagehide', () => node.leaveNow());
  const standing = new NodeStanding((signal) => fetchNetworkSnapshot(origin, signal));
  const wallet = createWalletLinkState(node, origin, options.role);
  return {
    router: new Router(),
    volunteer: new VolunteerState(node, standing),
    guardOutlook: new GuardOutlook((signal) => fetchNetworkSnapshot(origin, signal)),
    wallet,
    rewards: new RewardsState(
      new RewardsTracker({
        api: createRewardsApi(origin),
        // viem, the ABI and @hashgraph/sdk load on the first claim, not with the page.
        claimReward: async (claim) => (await import('../rewards/claim-reward.ts')).claimReward(claim),
        mirror: (baseUrl) => createMirrorContracts(baseUrl),
      }),
      wallet,
    ),
    playground: new PlaygroundState(
      new OpenAIClient({ origin }),
      options.peers && typeof RTCPeerConnection !== 'undefined' ? directClientFactory(origin) : null,
    ),
    dashboard: new DashboardState(origin),
    networkRewards: new NetworkRewardsState(createRewardsApi(origin)),
  };
}

function createWalletLinkState(keys: TabKeyHolder, origin: string, role: KeyRole): WalletLinkState {
  const { localWallet, warnings } = parseWalletOptions(location.search, location.hash);
  return new WalletLinkState({
    api: createWalletApi(origin),
    identity: storedLinkIdentity(keys, role),
    localWallet,
    warnings,
    // Loaded on the first click: @hashgraph/sdk and hashconnect would add megabytes to every page load.
    createHashConnectSigner: async (config) => (await import('../wallet/hash-connect-signer.browser.ts')).createHashConnectSigner(config),
    createLocalSigner: async (local, config) => {
      const { LocalKeySigner } = await import('../wallet/local-key-signer.ts');
      return new LocalKeySigner({ accountId: local.accountId, privateKeyDer: local.privateKeyDer, network: config.network });
    },
  });
}

/** The playground takes direct streams with a throwaway key: a requester earns nothing and signs nothing. */
function directClientFactory(origin: string): () => Promise<DirectTaskClient> {
  let client: Promise<DirectTaskClient> | null = null;
  return () => {
    client ??= loadTabIdentity('ephemeral').then(
      ({ identity }) => new DirectTaskClient({ origin, identity, createPeerNetwork: createBrowserPeerNetwork }),
    );
    return client;
  };
}
