import { createContext } from 'svelte';
import type { NetworkRewardsState } from './network-rewards-state.svelte.ts';

/** Epochs and leaderboard for the dashboard, created once by the app. */
export const [getNetworkRewardsState, setNetworkRewardsState] = createContext<NetworkRewardsState>();
