import { createContext } from 'svelte';
import type { Router } from './router.svelte.ts';

/** The app's router, made by `createApp` and read by the navigation bar. */
export const [getRouter, setRouter] = createContext<Router>();
