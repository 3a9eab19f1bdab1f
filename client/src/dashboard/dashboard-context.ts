import { createContext } from 'svelte';
import type { DashboardState } from './dashboard-state.svelte.ts';

/** The dashboard's network view, made once by `createApp`. */
export const [getDashboardState, setDashboardState] = createContext<DashboardState>();
