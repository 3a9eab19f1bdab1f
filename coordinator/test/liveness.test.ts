import { TINY_GPT2_ID } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp } from './support/test-app.ts';

const track = closeAfterEach();
const HEARTBEAT_MS = 150;

/** Sends `worker:heartbeat` at the coordinator's interval, as a live page does, until the tab closes. */
function keepBeating(tab: ScriptedTab): void {
  const timer = setInterval(() => {
    if (tab.socket.connected) tab.socket.emit('worker:heartbeat', { activeTaskIds: [], models: [loaded(TINY_GPT2_ID)] });
  }, HEARTBEAT_MS / 2);
  tab.socket.once('disconnect', () => clearInterval(timer));
}

describe('L1 liveness: a tab whose heartbeats stop is dropped', () => {
  it('after three missed heartbeats the tab is disconnected and its task goes to a live tab, long before the lease', async () => {
    // A lease far longer than the test: only the heartbeat sweep can take the task back in time.
    const server = track(await startTestApp({ heartbeatIntervalMs: HEARTBEAT_MS, leaseMs: 120_000 }));
    const held: TaskAssign[] = [];
    const silent = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: (assign) => held.push(assign) }));
    await silent.ready();
    const response = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'still there?' }], temperature: 0 }),
    });
    await eventually(() => held[0], 3000, 'the task on the silent tab');
    const live = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await live.ready();
    keepBeating(live);

    const answer = await (await response).json();
    expect(answer.choices[0].message.content).toBe('echo: still there?');
    await eventually(() => (silent.socket.connected ? undefined : true), 2000, 'the silent tab disconnected');
    expect(server.app.tessera.registry.get(silent.nodeId)).toBeUndefined();
    // The beating tab outlived many sweeps.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 4));
    expect(server.app.tessera.registry.get(live.nodeId)).toBeDefined();
  });
});
