import { newTaskId } from '@tessera/shared';
import type { WireError } from '@tessera/shared';
import type { ScriptedTab } from './scripted-tab.ts';
import { eventually } from './test-app.ts';

// Refusals a scripted tab received (`protocol:error`), and a round trip that proves nothing else is on its way.

export function refusals(tab: ScriptedTab, event: string): WireError[] {
  return tab.received.flatMap((message) =>
    message.event === 'protocol:error' && message.payload.event === event ? [message.payload.error] : [],
  );
}

/** Sends something the coordinator refuses, and waits for that refusal. */
export async function refused(tab: ScriptedTab, event: string, send: () => void): Promise<WireError> {
  const before = refusals(tab, event).length;
  send();
  return eventually(() => refusals(tab, event)[before], 3000, `refusal of ${event}`);
}

/** A round trip on the tab's socket: whatever the coordinator sent the tab before it has arrived. */
export async function drained(tab: ScriptedTab): Promise<void> {
  await refused(tab, 'task:accept', () => tab.socket.emit('task:accept', { taskId: newTaskId() }));
}
