import { TINY_GPT2_ID, protocolErrorSchema } from '@tessera/shared';
import type { ProtocolError } from '@tessera/shared';
import { ScriptedTab, loaded, type ScriptedTabOptions } from './scripted-tab.ts';
import type { TestApp } from './test-app.ts';

export type Outcome = { joined: true } | { joined: false; error: ProtocolError };

/** Opens a scripted tab and waits until it is welcomed, or refused and disconnected; `track` closes it after the test. */
export async function attempt(
  server: TestApp,
  track: <T extends { close(): unknown }>(thing: T) => T,
  options: Partial<ScriptedTabOptions> = {},
): Promise<{ tab: ScriptedTab; outcome: Outcome }> {
  const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], ...options }));
  const closed = new Promise<void>((resolve) => tab.socket.on('disconnect', () => resolve()));
  const outcome = await Promise.race([
    tab.ready().then((): Outcome => ({ joined: true })),
    closed.then((): Outcome => {
      const refusal = tab.received.find((message) => message.event === 'protocol:error');
      if (refusal === undefined) throw new Error('disconnected without a refusal');
      return { joined: false, error: protocolErrorSchema.parse(refusal.payload) };
    }),
  ]);
  return { tab, outcome };
}

export function refusalOf(outcome: Outcome): ProtocolError['error'] {
  if (outcome.joined) throw new Error('the tab was admitted');
  return outcome.error.error;
}

/** Handshake headers of a tab at `address` behind a coordinator that trusts loopback as its proxy. */
export const from = (address: string): Partial<ScriptedTabOptions> => ({ headers: { 'x-forwarded-for': address } });
