import { createContext } from 'svelte';
import type { PlaygroundState } from './playground-state.svelte.ts';

/** The playground's state, made once by `createApp`. */
export const [getPlaygroundState, setPlaygroundState] = createContext<PlaygroundState>();
