import type { ConnectionState } from '../node/coordinator-connection.ts';
import type { RuntimeState } from '../node/volunteer-node-events.ts';

/** A badge's colour class (app.css `.badge.<tone>`). */
export type BadgeTone = 'plain' | 'info' | 'ok' | 'warn' | 'bad';

const RUNTIME_TONES: Record<RuntimeState, BadgeTone> = { idle: 'plain', loading: 'info', serving: 'ok', error: 'bad' };
const CONNECTION_TONES: Record<ConnectionState, BadgeTone> = { connecting: 'warn', connected: 'ok', disconnected: 'plain' };

/** How the volunteer and guard pages colour the runtime's state: one mapping, so both pages read alike. */
export function runtimeTone(state: RuntimeState): BadgeTone {
  return RUNTIME_TONES[state];
}

export function connectionTone(state: ConnectionState): BadgeTone {
  return CONNECTION_TONES[state];
}
