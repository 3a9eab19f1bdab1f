import {
  MODEL_CATALOG,
  TINY_BERT_ID,
  TINY_GPT2_ID,
  TINY_MODEL_FILES,
  findModel,
  knownAnswerAsked,
  networkSnapshotSchema,
} from '@tessera/shared';
import type { ModelCatalogEntry, NetworkNode, TaskAssign } from '@tessera/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { HubStandIn } from './support/hub-stand-in.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, isCanary, loaded } from './support/scripted-tab.ts';
import { chatOutput } from './support/tiny-tokens.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (tiny === undefined) throw new Error('no tiny-gpt2');

async function node(server: TestApp, tab: ScriptedTab): Promise<NetworkNode> {
  const snapshot = networkSnapshotSchema.parse(await (await fetch(`${server.url}/api/v1/network`)).json());
  const found = snapshot.nodes.find((candidate) => candidate.nodeId === tab.nodeId);
  if (!found) throw new Error('node not in snapshot');
  return found;
}

function assigns(tab: ScriptedTab): TaskAssign[] {
  return tab.received.flatMap((message) => (message.event === 'task:assign' ? [message.payload] : []));
}

describe('known-answer checks: several per model, rotated, repeated at random times', () => {
  const track = closeAfterEach();

  it('asks a different known answer each time, with varied budgets, on join and again while the tab serves', async () => {
    const server = track(await startTestApp({ knownAnswerIntervalMs: 40 }));
    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answerHonestly }));
    await tab.ready();
    const checks = await eventually(
      () => {
        const chat = assigns(tab).filter((assign) => assign.task.model === TINY_GPT2_ID);
        // The embedding model's join check waits for a free slot between the chat model's checks.
        const embedded = assigns(tab).some((assign) => assign.task.model === TINY_BERT_ID);
        return chat.length >= 8 && embedded ? chat : undefined;
      },
      10_000,
      'repeated checks',
    );
    const answers = tiny.knownAnswers;
    const asked = checks.map((assign) => knownAnswerAsked(answers, assign.task));
    // Every check is one of the catalog's known answers, never the same one twice in a row.
    expect(asked.every((answer) => answer !== undefined)).toBe(true);
    for (let i = 1; i < asked.length; i++) expect(asked[i]).not.toBe(asked[i - 1]);
    expect(new Set(asked).size).toBeGreaterThanOrEqual(2);
    // Shaped like traffic: one user message, greedy, and the budget of an answer that ended by itself varies.
    const stopBudgets = new Set(
      checks.flatMap((assign) => {
        const answer = knownAnswerAsked(answers, assign.task);
        return assign.task.kind === 'chat' && answer?.kind === 'chat' && answer.finishReason === 'stop'
          ? [assign.task.params.maxTokens]
          : [];
      }),
    );
    expect(stopBudgets.size).toBeGreaterThan(1);
    // The embedding model is checked too: one text, its reference vector.
    expect(assigns(tab).some((assign) => assign.task.model === TINY_BERT_ID && assign.task.kind === 'embeddings')).toBe(true);
    // Served once its answer came back and was judged (the assignment above may still be on its way).
    const served = await eventually(async () => {
      const models = (await node(server, tab)).models.map((model) => model.id).sort();
      return models.length === 2 ? models : undefined;
    });
    expect(served).toEqual([TINY_BERT_ID, TINY_GPT2_ID]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`tessera_known_answer_checks_total\\{model="${TINY_GPT2_ID}",trigger="repeat",result="passed",answer="\\d"\\} [1-9]`),
    );
    expect(metrics).toMatch(new RegExp(`tessera_known_answer_checks_total\\{model="${TINY_GPT2_ID}",trigger="join",result="passed"`));
  });

  it('a tab that passes on join and answers wrong later is refused the model and caught', async () => {
    const server = track(await startTestApp({ knownAnswerIntervalMs: 50 }));
    let checks = 0;
    const turncoat = track(
      new ScriptedTab({
        url: server.url,
        models: [loaded(TINY_GPT2_ID)],
        passCanary: false,
        onAssign: (assign, tab) => {
          if (isCanary(assign) && checks++ === 0) tab.answerCanary(assign);
          else tab.sendResult(assign.taskId, chatOutput(' something cheaper'));
        },
      }),
    );
    await turncoat.ready();
    const refused = await eventually(
      async () => {
        const view = await node(server, turncoat);
        return view.refusedModels.includes(TINY_GPT2_ID) ? view : undefined;
      },
      10_000,
      'refusal',
    );
    expect(checks).toBe(2);
    expect(refused.models).toEqual([]);
    // A caught result: reputation follows through the event bus, as for a guard's invalid verdict.
    expect(refused.reputation.invalidChecks).toBe(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`tessera_known_answer_checks_total{model="${TINY_GPT2_ID}",trigger="repeat",result="failed"`);
  });

  it('checks only on join when repeats are off, and ends its timers with the app', async () => {
    const server = track(await startTestApp({ knownAnswerIntervalMs: 0 }));
    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await tab.ready();
    await eventually(async () => ((await node(server, tab)).models.length === 1 ? true : undefined), 5000, 'serving');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(assigns(tab).filter(isCanary)).toHaveLength(1);
  });

  it('checks a one-slot tab’s models one at a time, and a busy refusal is asked again, not a failure', async () => {
    const server = track(await startTestApp({ knownAnswerIntervalMs: 0 }));
    const held = new Set<string>();
    let mostHeld = 0;
    let busyRefusals = 0;
    // Like a real tab: one slot, a second task is turned away as busy, each answer takes a while.
    const tab = track(
      new ScriptedTab({
        url: server.url,
        models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)],
        passCanary: false,
        onAssign: (assign, self) => {
          if (held.size >= 1) {
            busyRefusals++;
            self.socket.emit('task:error', {
              taskId: assign.taskId,
              code: 'no_capacity',
              message: 'This tab already runs 1 of at most 1 tasks.',
              retryable: true,
            });
            return;
          }
          held.add(assign.taskId);
          mostHeld = Math.max(mostHeld, held.size);
          setTimeout(() => {
            held.delete(assign.taskId);
            self.answerCanary(assign);
          }, 100);
        },
      }),
    );
    await tab.ready();
    const served = await eventually(
      async () => {
        const models = (await node(server, tab)).models;
        return models.length === 2 ? models : undefined;
      },
      10_000,
      'both models served',
    );
    expect(served.map((model) => model.id).sort()).toEqual([TINY_BERT_ID, TINY_GPT2_ID]);
    expect(mostHeld).toBe(1);
    expect(busyRefusals).toBe(0);
    expect((await node(server, tab)).refusedModels).toEqual([]);
  });
});

describe('known answers recorded from guard-confirmed greedy results', () => {
  const track = closeAfterEach();
  const MODEL = 'tessera-test/no-reference';
  let hub: HubStandIn;
  let dir: string;
  let catalogFile: string;

  beforeAll(async () => {
    // A hashed hub model with no reference answers; its tokenizer (for counting work) comes from the stand-in.
    const folder = fileURLToPath(new URL(`../models/${TINY_GPT2_ID}`, import.meta.url));
    hub = await HubStandIn.start({ repos: { [MODEL]: { folder } } });
    const entry: ModelCatalogEntry = {
      ...tiny,
      id: MODEL,
      source: { kind: 'hub', repo: MODEL, revision: 'main' },
      files: TINY_MODEL_FILES[TINY_GPT2_ID].files,
      canary: null,
      knownAnswers: [],
    };
    dir = mkdtempSync(join(tmpdir(), 'tessera-recorded-'));
    catalogFile = join(dir, 'catalog.json');
    writeFileSync(catalogFile, JSON.stringify({ models: [entry] }));
  });

  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function chat(server: TestApp, content: string): Promise<number> {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], temperature: 0, max_tokens: 32 }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('keeps a confirmed greedy answer of a model without reference answers, then asks it of joining tabs', async () => {
    const server = track(await startTestApp({ catalog: catalogFile, hubUrl: hub.url, knownAnswerIntervalMs: 0 }));
    const guard = track(new ScriptedTab({ url: server.url, role: 'guard', models: [loaded(MODEL)], onVerify: guardHonestly }));
    await guard.ready();
    const worker = track(new ScriptedTab({ url: server.url, models: [loaded(MODEL)], onAssign: answerHonestly }));
    await worker.ready();
    // No known answer yet: the model is served unchecked.
    await eventually(async () => ((await node(server, worker)).models.length === 1 ? true : undefined), 5000, 'serving');
    expect(assigns(worker)).toEqual([]);

    expect(await chat(server, 'hello')).toBe(200);
    const recorded = server.app.tessera.canaries.answers(MODEL);
    // For the weights the worker ran (its WASM backend's dtype): only tabs loading the same are asked it.
    expect(recorded).toEqual([
      { kind: 'chat', prompt: 'hello', maxTokens: 32, expectedCompletion: 'echo: hello', finishReason: 'stop', dtype: 'fp32' },
    ]);

    const newcomer = track(new ScriptedTab({ url: server.url, models: [loaded(MODEL)], onAssign: answerHonestly }));
    await newcomer.ready();
    const [check] = await eventually(() => (assigns(newcomer).length > 0 ? assigns(newcomer) : undefined), 5000, 'join check');
    expect(check?.task.kind === 'chat' ? check.task.messages : null).toEqual([{ role: 'user', content: 'hello' }]);
    await eventually(async () => ((await node(server, newcomer)).models.length === 1 ? true : undefined), 5000, 'newcomer serving');
  });
});
