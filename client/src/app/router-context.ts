import { createContext } from 'svelte';
import type { DashboardState } from '../dashboard/dashboard-state.svelte.ts';
import type { PlaygroundState } from '../playground/playground-state.svelte.ts';
import type { VolunteerState } from '../volunteer/volunteer-state.svelte.ts';
import type { Router } from './router.svelte.ts';

/** Typed contexts: the app creates each state once and components read it from here. */
export const [getRouter, setRouter] = createContext<Router>();
export const [getVolunteerState, setVolunteerState] = createContext<VolunteerState>();
export const [getPlaygroundState, setPlaygroundState] = createContext<PlaygroundState>();
export const [getDashboardState, setDashboardState] = createContext<DashboardState>();
