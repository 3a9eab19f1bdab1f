import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, fromBase64Url, jobIdSchema, newNodeId, resultSigningBytes } from '@tessera/shared';
import type { LoadedModel, NodeId, VerifyAssign } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { chatAssign } from '../../test-support/chat-assign.ts';
import { FakeEngine } from '../../test-support/fake-engine.ts';
import { startFakeGateway, until } from '../../test-support/fake-gateway.ts';
import type { FakeGateway, GatewaySocket } from '../../test-support/fake-gateway.ts';
import { FakeTabPeers, openNeighbour } from '../../test-support/fake-tab-peers.ts';
import { ED25519, Ed25519UnsupportedError, ephemeralTabIdentity, withIdentityProof } from '../identity/tab-identity.ts';
import type { LoadRequest } from '../engine/inference-engine.ts';
import type { DeviceInfo } from './device-fit.ts';
import type { VolunteerNodeEvents } from './volunteer-node-events.ts';
import { VolunteerNode } from './volunteer-node.ts';
import type { VolunteerOptions } from './volunteer-options.ts';

const DEVICE: DeviceInfo = {
  gpu: null,
  gpuUnavailableReason: 'no WebGPU in Node',
  crossOriginIsolated: true,
  hardwareConcurrency: 2,
  deviceMemoryGiB: null,
};
const PAGE_ORIGIN = 'http://pages.test';

const EVENT_NAMES = [
  'warning:added',
  'device:probed',
  'selection:changed',
  'identity:loaded',
  'identity:failed',
  'state:changed',
  'connection:changed',
  'network:joined',
  'network:left',
  'model:changed',
  'task:updated',
  'check:updated',
  'peers:changed',
  'log:added',
] as const satisfies readonly (keyof VolunteerNodeEvents)[];

interface Recorded {
  event: keyof VolunteerNodeEvents;
  payload: unknown;
}

interface Harness {
  node: VolunteerNode;
  engine: FakeEngine;
  gateway: FakeGateway;
  peers: FakeTabPeers;
  events: Recorded[];
}

interface HarnessOptions {
  options?: Partial<VolunteerOptions>;
  engine?: FakeEngine;
  /** Replaces the identity store: `fails` is a browser without Ed25519. */
  identity?: 'ephemeral' | 'fails';
  startEngine?: () => FakeEngine;
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function harness(setup: HarnessOptions = {}): Promise<Harness> {
  const gateway = await startFakeGateway();
  const engine = setup.engine ?? new FakeEngine();
  const peers = new FakeTabPeers();
  const node = new VolunteerNode({
    options: {
      autostart: false,
      models: [TINY_GPT2_ID, TINY_BERT_ID],
      backend: 'wasm',
      role: 'worker',
      coordinatorOrigin: gateway.origin,
      maxConcurrentTasks: 1,
      identity: 'ephemeral',
      peers: true,
      ...setup.options,
    },
    warnings: [],
    catalog: MODEL_CATALOG,
    pageOrigin: PAGE_ORIGIN,
    hubUrl: 'https://hub.test',
    userAgent: 'vitest',
    probeDevice: async () => DEVICE,
    loadIdentity: async () => {
      if (setup.identity === 'fails') throw new Ed25519UnsupportedError(new Error('Unrecognized name.'));
      return { identity: withIdentityProof(await ephemeralTabIdentity(), 4321), warning: null };
    },
    startEngine: setup.startEngine ?? (() => engine),
    // No store: files are the engine's business, as for a hub model.
    modelFileStore: null,
    createPeerNetwork: () => peers,
    fetch: () => Promise.reject(new Error('no HTTP in this test')),
  });
  const events: Recorded[] = [];
  for (const event of EVENT_NAMES) node.on(event, (payload) => events.push({ event, payload }));
  cleanups.push(async () => {
    await node.stop();
    await gateway.close();
  });
  return { node, engine, gateway, peers, events };
}

/** Lends, and welcomes the tab as the coordinator would; resolves once it serves with its node id. */
async function serving(context: Harness, heartbeatIntervalMs = 60_000): Promise<{ tab: GatewaySocket; nodeId: NodeId }> {
  await context.node.init();
  await context.node.lend();
  expect(context.node.runtimeState).toBe('serving');
  const tab = await context.gateway.tab();
  await until(() => context.gateway.sent('worker:hello').length === 1, 'worker:hello');
  const nodeId = newNodeId();
  tab.emit('worker:welcome', { nodeId, heartbeatIntervalMs, leaseMs: 30_000, iceServers: [], directStreamKey: 'k'.repeat(22) });
  await until(() => context.node.nodeId === nodeId && context.node.connectionState === 'connected', 'the welcome');
  return { tab, nodeId };
}

function logged(node: VolunteerNode): string[] {
  return node.log.map((line) => line.message);
}

describe('VolunteerNode', () => {
  it('lends: joins first offering nothing yet, loads the chosen models, then serves and offers them as loaded', async () => {
    const context = await harness();
    const { node, engine, gateway, events } = context;
    await node.init();
    expect(node.selected).toEqual([TINY_GPT2_ID, TINY_BERT_ID]);
    expect(node.runtimeState).toBe('idle');
    expect(gateway.tabs).toHaveLength(0);

    const { nodeId } = await serving(context, 100);
    const settings = {
      coordinatorOrigin: gateway.origin,
      hubUrl: 'https://hub.test',
      ortBaseUrl: `${PAGE_ORIGIN}/ort/`,
      cacheModels: true,
    };
    expect(engine.configured).toEqual([settings]);
    expect([...engine.loaded.keys()].sort()).toEqual([TINY_BERT_ID, TINY_GPT2_ID].sort());
    expect(Object.values(node.models).map((model) => model.status)).toEqual(['loaded', 'loaded']);
    const hello = gateway.sent('worker:hello')[0];
    expect(hello).toMatchObject({
      role: 'worker',
      publicKey: node.publicKey,
      identityProof: 4321,
      capabilities: { userAgent: 'vitest', backends: ['wasm'] },
    });

    // The socket opened before any model started loading (peers are asked for seeders while joined).
    const connecting = events.findIndex((recorded) => recorded.event === 'connection:changed');
    const firstLoad = events.findIndex(
      (recorded) => recorded.event === 'model:changed' && JSON.stringify(recorded.payload).includes('"status":"loading"'),
    );
    expect(connecting).toBeGreaterThanOrEqual(0);
    expect(connecting).toBeLessThan(firstLoad);
    const states = events.filter((recorded) => recorded.event === 'state:changed').map((recorded) => recorded.payload);
    expect(states).toEqual([
      { runtimeState: 'loading', consented: true },
      { runtimeState: 'serving', consented: true },
    ]);
    expect(events).toContainEqual({ event: 'network:joined', payload: { nodeId } });

    await until(() => gateway.sent('worker:heartbeat').length > 0, 'a heartbeat');
    expect(gateway.sent('worker:heartbeat').at(-1)?.models).toEqual([
      { id: TINY_GPT2_ID, state: 'loaded', backend: 'wasm' },
      { id: TINY_BERT_ID, state: 'loaded', backend: 'wasm' },
    ]);
  });

  it('runs an assigned task and sends its signed result; the tallies count it once it ends', async () => {
    const context = await harness();
    const { tab, nodeId } = await serving(context);
    const assign = chatAssign();
    tab.emit('task:assign', assign);
    await until(() => context.gateway.sent('task:result').length === 1, 'task:result');

    const { gateway, node } = context;
    const taskEvents = gateway.received.map((message) => message.event).filter((event) => event.startsWith('task:'));
    expect(taskEvents).toEqual(['task:accept', 'task:chunk', 'task:chunk', 'task:chunk', 'task:result']);
    expect(gateway.sent('task:chunk').map((chunk) => chunk.delta)).toEqual(['Hel', 'lo', ' world']);
    const result = gateway.sent('task:result')[0];
    if (result === undefined) throw new Error('no result');
    expect(result.output).toEqual({ kind: 'chat', text: 'Hello world', finishReason: 'stop', tokenIds: [10, 11, 12] });
    const key = await crypto.subtle.importKey('raw', new Uint8Array(fromBase64Url(node.publicKey ?? '')), ED25519, true, ['verify']);
    const signed = resultSigningBytes({ nodeId, taskId: assign.taskId, output: result.output, usage: result.usage });
    expect(await crypto.subtle.verify(ED25519, key, new Uint8Array(fromBase64Url(result.signature)), new Uint8Array(signed))).toBe(true);

    await until(() => node.tasks[0]?.status === 'succeeded', 'the task to be recorded');
    expect(node.tasks).toHaveLength(1);
    expect(node.tasks[0]).toMatchObject({ taskId: assign.taskId, kind: 'chat', model: TINY_GPT2_ID, units: 3 });
    expect(node.taskTotals).toMatchObject({ served: 1, tokens: 3, failed: 0 });
    expect(node.activeTasks).toBe(0);
  });

  it('unloads a model toggled off while serving and loads it again when toggled on, telling the coordinator each time', async () => {
    const context = await harness();
    await serving(context);
    const { node, engine, gateway, events } = context;
    const offered = (): string[] => (gateway.sent('worker:heartbeat').at(-1)?.models ?? []).map((model) => `${model.id}:${model.state}`);

    node.toggle(TINY_BERT_ID);
    expect(node.selected).toEqual([TINY_GPT2_ID]);
    expect(node.models[TINY_BERT_ID]).toBeUndefined();
    expect(events).toContainEqual({ event: 'model:changed', payload: { id: TINY_BERT_ID, load: null } });
    await until(() => offered().join() === `${TINY_GPT2_ID}:loaded`, 'a heartbeat without tiny-bert');
    await until(() => engine.unloaded.includes(TINY_BERT_ID), 'the unload');

    node.toggle(TINY_BERT_ID);
    await until(() => node.models[TINY_BERT_ID]?.status === 'loaded', 'tiny-bert to load again');
    await until(() => offered().includes(`${TINY_BERT_ID}:loaded`), 'a heartbeat offering tiny-bert');
    expect(engine.loaded.has(TINY_BERT_ID)).toBe(true);
  });

  it('stops: leaves the network and keeps the models in memory for the next start', async () => {
    const context = await harness();
    const { tab } = await serving(context);
    const { node, engine, events } = context;
    await node.stop();
    expect(node.runtimeState).toBe('idle');
    expect(node.consented).toBe(false);
    expect(node.connectionState).toBe('disconnected');
    expect(node.nodeId).toBeNull();
    expect(context.peers.closed).toBe(true);
    expect(events).toContainEqual({ event: 'network:left', payload: {} });
    expect(logged(node)[0]).toBe('Stopped lending this device.');
    await until(() => !tab.connected, 'the socket to close');
    expect(engine.loaded.size).toBe(2);

    // Lending again rejoins on a new socket without loading anything twice.
    let loads = 0;
    const load = engine.load.bind(engine);
    engine.load = (request: LoadRequest): Promise<LoadedModel> => {
      loads++;
      return load(request);
    };
    await node.lend();
    expect(node.runtimeState).toBe('serving');
    await context.gateway.tab(1);
    expect(loads).toBe(0);
  });

  it('as a guard, checks claims and signs its verdicts, and refuses tasks', async () => {
    const context = await harness({ options: { role: 'guard', models: [TINY_GPT2_ID], autostart: true } });
    const { tab } = await serving(context);
    const { node, gateway } = context;
    const check = (tokenIds: number[]): VerifyAssign => ({
      jobId: jobIdSchema.parse(crypto.randomUUID()),
      leaseMs: 30_000,
      task: chatAssign().task,
      claim: { kind: 'chat', text: 'Hello world', finishReason: 'stop', tokenIds },
    });
    const honest = check([10, 11, 12]);
    const forged = check([10, 99, 12]);
    // One check at a time (maxConcurrent=1): a second one now would be refused with no_capacity.
    tab.emit('verify:assign', honest);
    await until(() => gateway.sent('verify:verdict').length === 1, 'the first verdict');
    tab.emit('verify:assign', forged);
    await until(() => gateway.sent('verify:verdict').length === 2, 'the second verdict');
    expect(gateway.sent('verify:verdict').map((verdict) => [verdict.jobId, verdict.verdict])).toEqual([
      [honest.jobId, 'valid'],
      [forged.jobId, 'invalid'],
    ]);
    await until(() => node.verdictTotals.invalid === 1, 'the tally');
    expect(node.verdictTotals).toMatchObject({ valid: 1, invalid: 1, errors: 0 });
    expect(node.checks.map((made) => made.status)).toEqual(['invalid', 'valid']);
    expect(logged(node).some((line) => line.startsWith(`Check ${forged.jobId.slice(0, 8)} on ${TINY_GPT2_ID}: invalid`))).toBe(true);

    const stray = chatAssign();
    tab.emit('task:assign', stray);
    await until(() => gateway.sent('task:error').length === 1, 'the refusal');
    expect(gateway.sent('task:error')[0]).toMatchObject({ taskId: stray.taskId, code: 'no_capacity', retryable: true });
    expect(gateway.sent('task:accept')).toEqual([]);
  });

  it('leaving hands a held task to an idle neighbour and waits for the coordinator to move it', async () => {
    const engine = new FakeEngine();
    engine.stepMs = 400;
    const context = await harness({ engine });
    const { tab } = await serving(context);
    const { node, gateway, peers } = context;
    const neighbour = newNodeId();
    peers.neighbours = [openNeighbour(neighbour, { activeTasks: 0, maxConcurrentTasks: 1, servingModels: [TINY_GPT2_ID], leaving: false })];
    const assign = chatAssign();
    tab.emit('task:assign', assign);
    await until(() => node.tasks[0]?.status === 'running', 'the task to start');

    const stopping = node.stop();
    await until(() => gateway.sent('task:handoff').length === 1, 'task:handoff');
    expect(gateway.sent('task:handoff')).toEqual([{ taskId: assign.taskId, to: neighbour }]);
    // Before offering, the tab told the coordinator and its neighbours that it takes no more work.
    expect(gateway.sent('worker:heartbeat').at(-1)?.models).toEqual([]);
    expect(peers.statuses.at(-1)).toMatchObject({ leaving: true, servingModels: [] });
    expect(logged(node)).toContain('Handing 1 task(s) to peers before leaving.');

    const started = Date.now();
    tab.emit('task:cancel', { taskId: assign.taskId, reason: `was handed to ${neighbour.slice(0, 8)}` });
    await stopping;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(node.runtimeState).toBe('idle');
    // The run stops after the engine's current step, and is then recorded as handed off, not cancelled.
    await until(() => node.tasks[0]?.status !== 'running', 'the run to stop');
    expect(node.tasks[0]).toMatchObject({ taskId: assign.taskId, status: 'handed-off' });
    expect(node.taskTotals).toMatchObject({ handedOff: 1, served: 0, cancelled: 0 });
    expect(gateway.sent('task:result')).toEqual([]);
  });

  it('cannot make a key: says why, is in the error state, and never joins, even with autostart', async () => {
    const context = await harness({ identity: 'fails', options: { autostart: true } });
    const { node, gateway, events } = context;
    await node.init();
    await node.lend();
    expect(node.identityError).toMatch(/Ed25519/);
    expect(node.publicKey).toBeNull();
    expect(node.runtimeState).toBe('error');
    expect(node.consented).toBe(false);
    expect(events.find((recorded) => recorded.event === 'identity:failed')?.payload).toEqual({ message: node.identityError });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gateway.tabs).toHaveLength(0);
  });

  it('says so when the engine worker does not start, and does not join', async () => {
    const context = await harness({
      startEngine: () => {
        throw new Error('Worker is not defined');
      },
    });
    const { node, gateway } = context;
    await node.init();
    await node.lend();
    expect(node.runtimeState).toBe('error');
    expect(logged(node)[0]).toBe('The engine worker did not start: Worker is not defined');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gateway.tabs).toHaveLength(0);
  });

  it('leaves again when no model could be loaded', async () => {
    const engine = new FakeEngine();
    engine.load = () => Promise.reject(new Error('out of memory'));
    const context = await harness({ engine });
    const { node, events } = context;
    await node.init();
    await node.lend();
    expect(node.runtimeState).toBe('error');
    expect(Object.values(node.models).map((model) => [model.status, model.error])).toEqual([
      ['failed', 'out of memory'],
      ['failed', 'out of memory'],
    ]);
    expect(logged(node)).toContain('No model could be loaded.');
    expect(node.connectionState).toBe('disconnected');
    expect(events.some((recorded) => recorded.event === 'network:left')).toBe(true);
  });

  it("keeps only the URL's models this device can run, with a warning for each other one", async () => {
    const context = await harness({ options: { models: [TINY_GPT2_ID, 'nobody/unknown'], backend: 'webgpu' } });
    const { node } = context;
    await node.init();
    expect(node.backend).toBe('webgpu');
    expect(node.selected).toEqual([]);
    expect(node.warnings).toEqual([
      'backend=webgpu was asked for, but no WebGPU in Node; loads will fail.',
      `${TINY_GPT2_ID} cannot run here: needs WebGPU, which this browser does not offer.`,
      'Unknown model nobody/unknown: not in the catalog.',
    ]);
    node.setBackend('wasm');
    node.toggle(TINY_GPT2_ID);
    expect(node.selected).toEqual([TINY_GPT2_ID]);
  });
});
