import { createContext } from 'svelte';
import type { RewardsState } from './rewards-state.svelte.ts';

/** The rewards state of the volunteer page, made once by `createApp` and read by its panels. */
export const [getRewardsState, setRewardsState] = createContext<RewardsState>();
