import { createContext } from 'svelte';
import type { WalletLinkState } from './wallet-link-state.svelte.ts';

/** The wallet link state, made once by `createApp` and read by the volunteer page's panels. */
export const [getWalletLinkState, setWalletLinkState] = createContext<WalletLinkState>();
