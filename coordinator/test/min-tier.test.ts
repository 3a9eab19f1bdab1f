import { TINY_GPT2_ID } from '@tessera/shared';
import type { TaskAssign, VerifyAssign } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { answerHonestly } from './support/honest-answers.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, loaded, newIdentity, type TabIdentity } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

let server: TestApp | undefined;
const tabs: ScriptedTab[] = [];

afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.close();
  await server?.close();
  server = undefined;
});

/** A key with a clean record of `checks` valid guard checks: trusted after 10, as the policy says. */
function provenIdentity(app: TestApp, checks: number): TabIdentity {
  const identity = newIdentity();
  app.app.tessera.reputation.update(identity.publicKey, (stats) => ({ ...stats, validChecks: checks, consecutiveValid: checks }));
  return identity;
}

async function worker(app: TestApp, identity: TabIdentity, seen: TaskAssign[]): Promise<ScriptedTab> {
  const tab = new ScriptedTab({
    url: app.url,
    models: [loaded(TINY_GPT2_ID)],
    identity,
    onAssign: (assign, scripted) => {
      seen.push(assign);
      answerHonestly(assign, scripted);
    },
  });
  tabs.push(tab);
  await tab.ready();
  await eventually(() => (app.app.tessera.registry.get(tab.nodeId)?.models.size === 1 ? true : undefined), 3000, 'worker serving');
  return tab;
}

function chat(app: TestApp, content: string, minTier?: string) {
  return fetch(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(minTier === undefined ? {} : { 'x-tessera-min-tier': minTier }) },
    body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0 }),
  });
}

describe('x-tessera-min-tier: a caller keeps its prompt to proven tabs', () => {
  it('sends such a task only to tabs of that standing, however idle the others are', async () => {
    const app = (server = await startTestApp());
    const newcomerTasks: TaskAssign[] = [];
    const trustedTasks: TaskAssign[] = [];
    await worker(app, newIdentity(), newcomerTasks);
    await worker(app, provenIdentity(app, 12), trustedTasks);
    for (let i = 0; i < 4; i++) {
      const response = await chat(app, `private ${i}`, 'trusted');
      expect(response.status).toBe(200);
    }
    expect(trustedTasks.map((assign) => assign.task.kind === 'chat' && assign.task.messages[0]?.content)).toEqual([
      'private 0',
      'private 1',
      'private 2',
      'private 3',
    ]);
    expect(newcomerTasks.filter((assign) => assign.task.kind === 'chat' && assign.task.messages[0]?.content.startsWith('private'))).toEqual(
      [],
    );
  });

  it('waits for a qualifying tab and fails with no_capacity when none comes', async () => {
    const app = (server = await startTestApp({ queueTimeoutMs: 400 }));
    const seen: TaskAssign[] = [];
    await worker(app, provenIdentity(app, 12), seen);
    const response = await chat(app, 'veterans only', 'veteran');
    expect(response.status).toBe(503);
    expect((await response.json()).error.code).toBe('no_capacity');
    expect(seen.filter((assign) => assign.task.kind === 'chat' && assign.task.messages[0]?.content === 'veterans only')).toEqual([]);
  });

  it('never shows the prompt to a guard below the asked standing', async () => {
    const app = (server = await startTestApp({ queueTimeoutMs: 400 }));
    const checks: VerifyAssign[] = [];
    const newcomerGuard = new ScriptedTab({
      url: app.url,
      role: 'guard',
      models: [loaded(TINY_GPT2_ID)],
      onVerify: (assign, tab) => {
        checks.push(assign);
        guardHonestly(assign, tab);
      },
    });
    tabs.push(newcomerGuard);
    await newcomerGuard.ready();
    // A newcomer worker is checked on every result, so its results would go to the guard if it could see them.
    await worker(app, newIdentity(), []);
    const response = await chat(app, 'not for newcomers', 'trusted');
    expect(response.status).toBe(503);
    expect(checks).toEqual([]);
    const open = await chat(app, 'anyone may check');
    expect(open.status).toBe(200);
    expect(checks.map((assign) => assign.task.kind === 'chat' && assign.task.messages[0]?.content)).toEqual(['anyone may check']);
  });

  it('refuses any other value before storing anything', async () => {
    const app = (server = await startTestApp());
    const before = app.app.tessera.store.counts();
    const response = await chat(app, 'hi', 'gold');
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code: 'invalid_request', param: 'x-tessera-min-tier' });
    expect(app.app.tessera.store.counts()).toEqual(before);
  });
});
