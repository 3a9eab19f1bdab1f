import {
  MODEL_CATALOG,
  TINY_GPT2_ID,
  TINY_MODEL_ANSWERS,
  TINY_MODEL_FILES,
  findModel,
  knownAnswerAsked,
  networkSnapshotSchema,
} from '@tessera/shared';
import type { ModelAttest, ModelCatalogEntry, NetworkNode, TaskAssign } from '@tessera/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { HubStandIn } from './support/hub-stand-in.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { chatOutput } from './support/tiny-tokens.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const MODEL = 'tessera-test/tiny-gpt2';
const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (tiny === undefined) throw new Error('no tiny-gpt2');
/** The tiny GPT-2 listed as a hub model nobody could hash: tabs attest, the coordinator pins by agreement. */
const entry: ModelCatalogEntry = {
  ...tiny,
  id: MODEL,
  source: { kind: 'hub', repo: MODEL, revision: 'main' },
  files: [],
  canary: null,
  knownAnswers: TINY_MODEL_ANSWERS[TINY_GPT2_ID],
};
const GOOD = TINY_MODEL_FILES[TINY_GPT2_ID].files;
const BAD = GOOD.map((file) => (file.path === 'config.json' ? { ...file, sha256: 'f'.repeat(64), bytes: file.bytes + 1 } : file));

/** An honest tab of the hub model: answers its known answers, echoes the rest. */
function answerModel(assign: TaskAssign, tab: ScriptedTab): void {
  const known = knownAnswerAsked(entry.knownAnswers, assign.task);
  if (known?.kind !== 'chat') {
    answerHonestly(assign, tab);
    return;
  }
  const output = chatOutput(known.expectedCompletion, known.finishReason);
  tab.sendResult(assign.taskId, output, { promptTokens: 1, completionTokens: output.tokenIds.length });
}

function attest(tab: ScriptedTab, files: ModelAttest['files']): void {
  tab.socket.emit('model:attest', { modelId: MODEL, revision: 'abc1234', files: [...files] });
}

async function node(server: TestApp, tab: ScriptedTab): Promise<NetworkNode> {
  const snapshot = networkSnapshotSchema.parse(await (await fetch(`${server.url}/api/v1/network`)).json());
  const found = snapshot.nodes.find((candidate) => candidate.nodeId === tab.nodeId);
  if (!found) throw new Error('node not in snapshot');
  return found;
}

async function serves(server: TestApp, tab: ScriptedTab): Promise<boolean> {
  return (await node(server, tab)).models.some((model) => model.id === MODEL);
}

describe('pin by agreement: hub files without catalog hashes', () => {
  const track = closeAfterEach();
  let hub: HubStandIn;
  let dir: string;
  let catalogFile: string;

  beforeAll(async () => {
    // The coordinator counts this model's work with its tokenizer, loaded from the hub like tabs load it.
    const folder = fileURLToPath(new URL(`../models/${TINY_GPT2_ID}`, import.meta.url));
    hub = await HubStandIn.start({ repos: { [MODEL]: { folder } } });
    dir = mkdtempSync(join(tmpdir(), 'tessera-pins-'));
    catalogFile = join(dir, 'catalog.json');
    writeFileSync(catalogFile, JSON.stringify({ models: [entry] }));
  });

  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (dataDir?: string): Promise<TestApp> =>
    startTestApp({ catalog: catalogFile, hubUrl: hub.url, hashPinAgreement: 2, knownAnswerIntervalMs: 0 }, dataDir);
  const open = async (server: TestApp): Promise<ScriptedTab> => {
    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(MODEL)], onAssign: answerModel }));
    await tab.ready();
    return tab;
  };

  it('a model waits for its attestation; k agreeing keys pin each file; bytes that differ are refused, even after the fact', async () => {
    const server = track(await start());
    const silent = await open(server);
    const early = await open(server);
    // Attested bytes that differ, before any pin: served meanwhile, on the word of its known-answer check.
    attest(early, BAD);
    await eventually(async () => ((await serves(server, early)) ? true : undefined), 5000, 'early tab serving');
    const first = await open(server);
    attest(first, GOOD);
    await eventually(async () => ((await serves(server, first)) ? true : undefined), 5000, 'first tab serving');
    // Two keys agree on every file but config.json, where they differ: that one stays open.
    expect(server.app.tessera.hashPins.pins(MODEL)).toEqual(GOOD.filter((file) => file.path !== 'config.json'));
    expect(await serves(server, early)).toBe(true);

    const second = await open(server);
    attest(second, GOOD);
    await eventually(async () => ((await serves(server, second)) ? true : undefined), 5000, 'second tab serving');
    expect(server.app.tessera.hashPins.pins(MODEL)).toEqual(GOOD);
    // The pin refuses the tab whose config.json differs, though it was serving.
    await eventually(async () => ((await node(server, early)).refusedModels.includes(MODEL) ? true : undefined), 5000, 'refusal');
    expect(await serves(server, early)).toBe(false);
    expect(await serves(server, first)).toBe(true);

    const late = await open(server);
    attest(late, BAD);
    await eventually(async () => ((await node(server, late)).refusedModels.includes(MODEL) ? true : undefined), 5000, 'late refusal');
    // A refused tab is never asked the known answer: the bytes already said no.
    expect(late.received.some((message) => message.event === 'task:assign')).toBe(false);

    // A tab that never attests is never checked and never served.
    expect(silent.received.some((message) => message.event === 'task:assign')).toBe(false);
    expect(await serves(server, silent)).toBe(false);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`tessera_model_file_refusals_total{model="${MODEL}"} 2`);
    expect(metrics).toContain(`tessera_model_file_pins_total{model="${MODEL}"} ${GOOD.length}`);
  });

  it('pins survive a restart; the same key repeating itself is one voice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-pins-data-'));
    try {
      let server = await start(dataDir);
      const a = await open(server);
      attest(a, GOOD);
      attest(a, GOOD);
      await eventually(async () => ((await serves(server, a)) ? true : undefined), 5000, 'tab serving');
      expect(server.app.tessera.hashPins.pins(MODEL)).toEqual([]);
      const b = await open(server);
      attest(b, GOOD);
      await eventually(() => (server.app.tessera.hashPins.pins(MODEL).length > 0 ? true : undefined), 5000, 'pin');
      a.close();
      b.close();
      await server.close();

      server = await start(dataDir);
      track(server);
      const bad = await open(server);
      attest(bad, BAD);
      await eventually(async () => ((await node(server, bad)).refusedModels.includes(MODEL) ? true : undefined), 5000, 'refusal');
      const good = await open(server);
      attest(good, GOOD);
      await eventually(async () => ((await serves(server, good)) ? true : undefined), 5000, 'good tab serving');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an attestation for a model outside the catalog, or a mirrored one, is refused and changes nothing', async () => {
    const server = track(await start());
    const tab = await open(server);
    tab.socket.emit('model:attest', { modelId: 'nope/nothing', revision: 'main', files: [...GOOD] });
    tab.socket.emit('model:attest', { modelId: TINY_GPT2_ID, revision: 'main', files: [...GOOD] });
    const errors = await eventually(() => {
      const refused = tab.received.filter((message) => message.event === 'protocol:error');
      return refused.length >= 2 ? refused : undefined;
    });
    expect(errors.map((message) => (message.event === 'protocol:error' ? message.payload.error.code : null))).toEqual([
      'model_not_found',
      'protocol_violation',
    ]);
    expect(server.app.tessera.hashPins.pins('nope/nothing')).toEqual([]);
  });
});
