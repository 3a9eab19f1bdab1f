import { TINY_GPT2_ID, verifyAssignSchema } from '@tessera/shared';
import type { TokenScore, VerifyAssign } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();

const TOP: TokenScore = { chosenLogit: 10, maxLogit: 10, rank: 0, logProb: 0, expectedLogProb: 0, logProbVariance: 0 };

/** A lazy guard: runs no model, answers "valid" to everything with evidence made up to fit. */
function passEverything(assign: VerifyAssign, tab: ScriptedTab): void {
  const claim = assign.claim;
  if (claim.kind === 'embeddings') {
    tab.sendVerdict(assign.jobId, 'valid', { kind: 'embeddings', cosines: claim.vectors.map(() => 1) }, 'fine');
    return;
  }
  const scores = claim.tokenIds.map(() => TOP);
  tab.sendVerdict(assign.jobId, 'valid', { kind: 'chat', scores, decodedText: claim.text, endScore: TOP, promptTokens: 3 }, 'fine');
}

async function chat(server: TestApp, content: string): Promise<void> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0 }),
  });
  expect(response.status).toBe(200);
  await response.json();
}

function tab(server: TestApp, role: 'guard' | 'worker', onVerify = guardHonestly): ScriptedTab {
  return track(
    new ScriptedTab({
      url: server.url,
      role,
      models: [loaded(TINY_GPT2_ID)],
      maxConcurrentTasks: role === 'guard' ? 4 : 1,
      ...(role === 'guard' ? { onVerify } : { onAssign: answerHonestly }),
    }),
  );
}

describe('guards are paid per check and checked themselves', () => {
  it('an honest guard is credited per check it completes, in escrow, units the tokens it re-scored', async () => {
    const server = track(await startTestApp());
    const guard = tab(server, 'guard');
    await guard.ready();
    await tab(server, 'worker').ready();
    for (let i = 0; i < 3; i++) await chat(server, `paid check ${i}`);
    const { ledger } = server.app.tessera;
    const history = ledger.history(guard.identity.publicKey);
    const assigns = guard.received
      .filter((message) => message.event === 'verify:assign')
      .map((message) => verifyAssignSchema.parse(message.payload));
    expect(history).toHaveLength(assigns.length);
    expect(assigns.length).toBeGreaterThanOrEqual(3);
    for (const assign of assigns) {
      const row = history.find((entry) => entry.taskId.startsWith(assign.jobId));
      const tokens = assign.claim.kind === 'chat' ? assign.claim.tokenIds.length : 0;
      expect(row).toMatchObject({ model: TINY_GPT2_ID, units: String(tokens), status: 'escrow' });
      expect(BigInt(row?.amount ?? '0')).toBeGreaterThan(0n);
    }
    expect(ledger.balances(guard.identity.publicKey, undefined).slashed).toBe(0n);
  });

  it('a verify:error earns nothing; a verdict sent again after its job was decided is not paid twice', async () => {
    const server = track(await startTestApp());
    const failing = tab(server, 'guard', (assign, guard) => {
      guard.socket.emit('verify:error', { jobId: assign.jobId, code: 'model_unavailable', message: 'not loaded' });
    });
    const repeating = tab(server, 'guard', (assign, guard) => {
      guardHonestly(assign, guard);
      setTimeout(() => guardHonestly(assign, guard), 20);
    });
    for (const guard of [failing, repeating]) await guard.ready();
    await tab(server, 'worker').ready();
    for (let i = 0; i < 2; i++) await chat(server, `twice ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { ledger } = server.app.tessera;
    expect(failing.received.some((message) => message.event === 'verify:assign')).toBe(true);
    expect(ledger.history(failing.identity.publicKey)).toHaveLength(0);
    const jobs = new Set(
      repeating.received
        .filter((message) => message.event === 'verify:assign')
        .map((message) => verifyAssignSchema.parse(message.payload).jobId),
    );
    expect(jobs.size).toBeGreaterThanOrEqual(2);
    expect(ledger.history(repeating.identity.publicKey)).toHaveLength(jobs.size);
  });

  it('a lazy guard that passes everything is caught by planted checks; honest guards never are; planted jobs look like real ones', async () => {
    const server = track(await startTestApp({ plantedChecks: 'true', plantedCheckDelayMs: 0 }));
    const { ledger, reputation, events } = server.app.tessera;
    const tested: Array<{ guardKey: string; passed: boolean }> = [];
    events.on('guard:tested', ({ guardKey, passed }) => tested.push({ guardKey, passed }));
    let checked = 0;
    events.on('guard:checked', () => checked++);
    const honest = [tab(server, 'guard'), tab(server, 'guard')];
    const lazy = tab(server, 'guard', passEverything);
    for (const guard of [...honest, lazy]) await guard.ready();
    await tab(server, 'worker').ready();
    const lazyKey = lazy.identity.publicKey;
    let checksUntilCaught = 0;
    for (let i = 0; i < 40 && reputation.get(lazyKey).invalidChecks === 0; i++) {
      await chat(server, `question ${i}`);
      // Planted jobs go out beside real ones: let them be answered before the next task.
      await new Promise((resolve) => setTimeout(resolve, 30));
      checksUntilCaught = lazy.received.filter((message) => message.event === 'verify:assign').length;
    }
    await eventually(() => (reputation.get(lazyKey).invalidChecks > 0 ? true : undefined), 5000, 'the lazy guard caught');
    expect(checksUntilCaught).toBeLessThanOrEqual(40);
    expect(ledger.balances(lazyKey, undefined).slashed).toBeGreaterThan(0n);
    expect(tested.some((test) => test.guardKey === lazyKey && !test.passed)).toBe(true);
    for (const guard of honest) {
      expect(reputation.get(guard.identity.publicKey).invalidChecks).toBe(0);
      expect(ledger.balances(guard.identity.publicKey, undefined).slashed).toBe(0n);
      expect(tested.filter((test) => test.guardKey === guard.identity.publicKey).every((test) => test.passed)).toBe(true);
    }
    // Planted or real, a guard sees one kind of message with one shape: the same fields, the same lease.
    expect(tested.length).toBeGreaterThan(0);
    const messages = [...honest, lazy].flatMap((guard) => guard.received.filter((message) => message.event.startsWith('verify:')));
    expect(new Set(messages.map((message) => message.event))).toEqual(new Set(['verify:assign']));
    const assigns = messages.map((message) => verifyAssignSchema.parse(message.payload));
    for (const assign of assigns) expect(Object.keys(assign).sort()).toEqual(['claim', 'jobId', 'leaseMs', 'task']);
    expect(new Set(assigns.map((assign) => assign.leaseMs)).size).toBe(1);
    for (const guard of [...honest, lazy]) {
      const ids = guard.received
        .filter((message) => message.event === 'verify:assign')
        .map((message) => verifyAssignSchema.parse(message.payload).jobId);
      expect(new Set(ids).size).toBe(ids.length);
    }
    // Every answered job was paid alike, planted ones included.
    await eventually(() => (checked === assigns.length ? true : undefined), 2000, 'every check paid');
  });
});
