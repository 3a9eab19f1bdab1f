import { createContext } from 'svelte';
import type { VolunteerState } from './volunteer-state.svelte.ts';

/** The volunteer page's state, made once by `createApp` and read by the page's components. */
export const [getVolunteerState, setVolunteerState] = createContext<VolunteerState>();
