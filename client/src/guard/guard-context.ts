import { createContext } from 'svelte';
import type { GuardOutlook } from './guard-outlook.svelte.ts';

/** The guard page's view of the network, made once by `createApp`. */
export const [getGuardOutlook, setGuardOutlook] = createContext<GuardOutlook>();
