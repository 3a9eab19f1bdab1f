import type { VolunteerState } from '../volunteer/volunteer-state.svelte.ts';
import type { WalletLinkState } from '../wallet/wallet-link-state.svelte.ts';
import { createMirrorContracts } from './mirror-contracts.ts';
import { createRewardsApi } from './rewards-api.ts';
import { RewardsState } from './rewards-state.svelte.ts';
import { RewardsTracker } from './rewards-tracker.ts';

const states = new WeakMap<VolunteerState, RewardsState>();

/** The rewards state of this page's volunteer runtime: one per runtime, kept across page visits. */
export function rewardsStateFor(volunteer: VolunteerState, wallet: WalletLinkState): RewardsState {
  let state = states.get(volunteer);
  if (state === undefined) {
    const tracker = new RewardsTracker({
      api: createRewardsApi(volunteer.options.coordinatorOrigin),
      // viem, the ABI and @hashgraph/sdk load on the first claim, not with the page.
      claimReward: async (options) => (await import('./claim-reward.ts')).claimReward(options),
      mirror: (baseUrl) => createMirrorContracts(baseUrl),
    });
    state = new RewardsState(tracker, wallet);
    states.set(volunteer, state);
  }
  return state;
}
