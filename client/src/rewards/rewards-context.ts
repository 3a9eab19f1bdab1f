import { createContext } from 'svelte';
import type { RewardsState } from './rewards-state.svelte.ts';

/** The rewards state of the volunteer page, set by the page and read by its rewards panel. */
export const [getRewardsState, setRewardsState] = createContext<RewardsState>();
