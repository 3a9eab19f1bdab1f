import { createContext } from 'svelte';
import type { WalletLinkState } from './wallet-link-state.svelte.ts';

/** The wallet link state, set by the volunteer page and read by its wallet panel. */
export const [getWalletLinkState, setWalletLinkState] = createContext<WalletLinkState>();
