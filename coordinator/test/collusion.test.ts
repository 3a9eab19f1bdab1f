import { TINY_GPT2_ID } from '@tessera/shared';
import type { ChatEvidence, TaskAssign, TokenScore, VerifyAssign } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { answerHonestly } from './support/honest-answers.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, loaded, newIdentity, type ScriptedTabOptions } from './support/scripted-tab.ts';
import { streamedText } from './support/task-observations.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { chatOutput } from './support/tiny-tokens.ts';

const LIE = ' is a malicious network that steals your data.';
const TOP: TokenScore = { chosenLogit: 10, maxLogit: 10, rank: 0, logProb: 0, expectedLogProb: 0, logProbVariance: 0 };

let server: TestApp | undefined;
const tabs: ScriptedTab[] = [];

afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.close();
  await server?.close();
  server = undefined;
});

/** A tab on its own network: the coordinator trusts loopback's X-Forwarded-For, as behind a proxy. */
async function tabFrom(app: TestApp, address: string, options: Omit<ScriptedTabOptions, 'url' | 'headers'>): Promise<ScriptedTab> {
  const tab = new ScriptedTab({ ...options, url: app.url, headers: { 'x-forwarded-for': address } });
  tabs.push(tab);
  await tab.ready();
  await eventually(() => (app.app.tessera.registry.get(tab.nodeId)?.models.size === 1 ? true : undefined), 3000, 'serving');
  return tab;
}

/** The attacker's guard: confirms whatever it is shown, with evidence made up to match. */
function collude(assign: VerifyAssign, tab: ScriptedTab): void {
  if (assign.claim.kind !== 'chat') return;
  const evidence: ChatEvidence = {
    kind: 'chat',
    scores: assign.claim.tokenIds.map(() => TOP),
    decodedText: assign.claim.text,
    endScore: TOP,
    promptTokens: 3,
  };
  tab.sendVerdict(assign.jobId, 'valid', evidence, 'looks fine to me');
}

describe('colluding guards: an attacker with a lying worker and its own guard', () => {
  it('gets no lie delivered and fails no caller, even when its guard checks the lies', async () => {
    const app = (server = await startTestApp({ guardsFromOtherNetworks: 'true', trustProxy: 'loopback' }));
    const checksByColluder: VerifyAssign[] = [];
    const liarTasks: TaskAssign[] = [];
    await tabFrom(app, '198.51.100.7', {
      role: 'guard',
      models: [loaded(TINY_GPT2_ID)],
      maxConcurrentTasks: 8,
      onVerify: (assign, tab) => {
        checksByColluder.push(assign);
        collude(assign, tab);
      },
    });
    await tabFrom(app, '203.0.113.9', { role: 'guard', models: [loaded(TINY_GPT2_ID)], maxConcurrentTasks: 8, onVerify: guardHonestly });
    const liar = await tabFrom(app, '192.0.2.5', {
      models: [loaded(TINY_GPT2_ID)],
      maxConcurrentTasks: 4,
      onAssign: (assign, tab) => {
        liarTasks.push(assign);
        tab.sendResult(assign.taskId, chatOutput(LIE));
      },
    });
    await tabFrom(app, '100.64.0.3', { models: [loaded(TINY_GPT2_ID)], maxConcurrentTasks: 4, onAssign: answerHonestly });

    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const response = await fetch(`${app.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: TINY_GPT2_ID,
            messages: [{ role: 'user', content: `question ${i}` }],
            temperature: 0,
            stream: true,
          }),
        });
        return streamedText(await response.text());
      }),
    );
    expect(answers).toEqual(Array.from({ length: 12 }, (_, i) => `echo: question ${i}`));
    expect(liarTasks.length).toBeGreaterThan(0);
    // Its guard saw its lies, and confirmed them; that was not enough.
    expect(checksByColluder.some((assign) => assign.claim.kind === 'chat' && assign.claim.text === chatOutput(LIE).text)).toBe(true);
    expect(app.app.tessera.ledger.history(liar.identity.publicKey)).toEqual([]);
  });

  it('a guard never checks a worker of its own network', async () => {
    const app = (server = await startTestApp({ guardsFromOtherNetworks: 'true', trustProxy: 'loopback' }));
    const checks: VerifyAssign[] = [];
    await tabFrom(app, '192.0.2.200', {
      role: 'guard',
      models: [loaded(TINY_GPT2_ID)],
      onVerify: (assign, tab) => {
        checks.push(assign);
        guardHonestly(assign, tab);
      },
    });
    await tabFrom(app, '192.0.2.5', { models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
    const response = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'same network' }], temperature: 0 }),
    });
    const body = await response.json();
    expect(body.choices[0].message.content).toBe('echo: same network');
    expect(body.tessera.verification).toBe('unverified');
    expect(checks).toEqual([]);
  });
  it('a guard whose tab keeps coming and going with the worker never checks it', async () => {
    const app = (server = await startTestApp({ guardsFromOtherNetworks: 'true', trustProxy: 'loopback' }));
    const guardKey = newIdentity();
    const workerKey = newIdentity();
    const checks: VerifyAssign[] = [];
    const ask = async (content: string): Promise<{ content: string; verification: string }> => {
      const response = await fetch(`${app.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0 }),
      });
      const body = await response.json();
      return { content: body.choices[0].message.content, verification: body.tessera.verification };
    };
    // One script runs both tabs: they start together and stop together, on different networks.
    const startBoth = async (): Promise<ScriptedTab[]> => [
      await tabFrom(app, '198.51.100.7', {
        role: 'guard',
        identity: guardKey,
        models: [loaded(TINY_GPT2_ID)],
        onVerify: (assign, tab) => {
          checks.push(assign);
          collude(assign, tab);
        },
      }),
      await tabFrom(app, '192.0.2.5', { identity: workerKey, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }),
    ];
    const stopBoth = async (pair: ScriptedTab[]): Promise<void> => {
      for (const tab of pair) tab.close();
      await eventually(() => (app.app.tessera.registry.size === 0 ? true : undefined), 3000, 'both gone');
    };

    // The first time, nothing ties them: the only guard there is checks the newcomer's work.
    await stopBoth(
      await startBoth().then(async (pair) => {
        expect(await ask('first')).toEqual({ content: 'echo: first', verification: 'passed' });
        expect(checks).toHaveLength(1);
        return pair;
      }),
    );
    await stopBoth(await startBoth());
    await startBoth();

    // Arrived together three times, left together twice: treated as one owner's, so no guard is left.
    expect(await ask('later')).toEqual({ content: 'echo: later', verification: 'unverified' });
    expect(checks).toHaveLength(1);
  });
});
