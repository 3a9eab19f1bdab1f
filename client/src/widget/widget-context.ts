import { getContext, setContext } from 'svelte';
import type { WidgetState } from './widget-state.svelte.ts';

const KEY = Symbol('tessera-widget');

export function setWidgetState(state: WidgetState): void {
  setContext(KEY, state);
}

export function getWidgetState(): WidgetState {
  const state: unknown = getContext(KEY);
  if (state === undefined) throw new Error('The widget state is not in context: mount the frame with widget-frame.svelte.');
  return state as WidgetState;
}
