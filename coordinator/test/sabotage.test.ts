import { TINY_GPT2_ID } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

let server: TestApp | undefined;
const tabs: ScriptedTab[] = [];

afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.close();
  await server?.close();
  server = undefined;
});

async function serving(app: TestApp, tab: ScriptedTab): Promise<ScriptedTab> {
  tabs.push(tab);
  await tab.ready();
  await eventually(() => (app.app.tessera.registry.get(tab.nodeId)?.models.has(TINY_GPT2_ID) === true ? true : undefined), 3000, 'serving');
  return tab;
}

describe('failing is not free: a tab that fails every task cannot fail its callers', () => {
  it('every caller gets an answer from an honest tab, and the saboteur is moved off the model', async () => {
    const app = (server = await startTestApp());
    const sabotaged: TaskAssign[] = [];
    const saboteur = await serving(
      app,
      new ScriptedTab({
        url: app.url,
        models: [loaded(TINY_GPT2_ID)],
        maxConcurrentTasks: 4,
        onAssign: (assign, tab) => {
          sabotaged.push(assign);
          // "Not retryable", says the tab: the coordinator is not bound by a tab's opinion of a task.
          tab.socket.emit('task:error', { taskId: assign.taskId, code: 'inference_failed', message: 'out of memory', retryable: false });
        },
      }),
    );
    await serving(app, new ScriptedTab({ url: app.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));

    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        fetch(`${app.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: `task ${i}` }], temperature: 0 }),
        }).then(async (response) => ({ status: response.status, body: await response.json() })),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill(200));
    expect(answers.map((answer) => answer.body.choices[0].message.content)).toEqual(
      Array.from({ length: 16 }, (_, i) => `echo: task ${i}`),
    );
    expect(sabotaged.length).toBeGreaterThanOrEqual(4);

    const session = app.app.tessera.registry.get(saboteur.nodeId);
    expect(session?.modelChecks.get(TINY_GPT2_ID)).toBe('refused');
    expect(session?.models.has(TINY_GPT2_ID)).toBe(false);
    const before = sabotaged.length;
    const after = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'one more' }], temperature: 0 }),
    });
    expect(after.status).toBe(200);
    expect(sabotaged.length).toBe(before);
    // Moved off the model, not banned: its record shows the failures, its tier is untouched.
    expect(app.app.tessera.reputation.get(saboteur.identity.publicKey).tasksFailed).toBe(before);
    expect(app.app.tessera.reputation.tier(saboteur.identity.publicKey)).toBe('probation');
  });
});
