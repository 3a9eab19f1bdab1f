import { readFile } from 'node:fs/promises';
import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, findModel, newNodeId, newTaskId, peerSignalRelayedSchema } from '@tessera/shared';
import type { NodeId, PeerReport, PeerSeek, TaskStreamEndFrame, TaskStreamFrame } from '@tessera/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryModelFileStore } from '../model-files/model-file-store.ts';
import { PeerNetwork, type Neighbour, type PeerStatus } from './peer-network.ts';
import { nodeWebRtc } from '../../test-support/peer-testing.ts';

const wrtc = nodeWebRtc();
const MODELS_DIR = new URL('../../../coordinator/models/', import.meta.url);
const gpt2 = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (gpt2 === undefined) throw new Error('tiny-gpt2 is not in the catalog');

let networks: PeerNetwork[] = [];
afterEach(async () => {
  await Promise.all(networks.map((network) => network.close()));
  networks = [];
});

/** One tab: its network, what it said to the coordinator, and the direct text it received. */
interface Tab {
  readonly id: NodeId;
  readonly network: PeerNetwork;
  readonly store: MemoryModelFileStore;
  readonly seeks: PeerSeek[];
  readonly reports: PeerReport[];
  readonly streamed: [NodeId, TaskStreamFrame | TaskStreamEndFrame][];
}

interface TabOptions {
  seekTimeoutMs?: number;
  seederWaitMs?: number;
}

/**
 * Tabs wired through a relay that does what the coordinator does with `peer:signal`: stamps `from`,
 * parses, delivers later. `peer:seek` is only recorded; tests answer it with `handleSeeders`.
 */
function tabs(count: 1, options?: TabOptions): [Tab];
function tabs(count: 2, options?: TabOptions): [Tab, Tab];
function tabs(count: 3): [Tab, Tab, Tab];
function tabs(count: number, options: TabOptions = {}): Tab[] {
  const byId = new Map<NodeId, Tab>();
  for (let index = 0; index < count; index++) {
    const id = newNodeId();
    const seeks: PeerSeek[] = [];
    const reports: PeerReport[] = [];
    const streamed: Tab['streamed'] = [];
    const store = new MemoryModelFileStore();
    const network = new PeerNetwork({
      wrtc,
      catalog: MODEL_CATALOG,
      store,
      seekTimeoutMs: options.seekTimeoutMs,
      seederWaitMs: options.seederWaitMs,
      connectTimeoutMs: 10_000,
      channel: {
        seekPeers: (payload) => seeks.push(payload),
        signalPeer: (signal) => {
          const relayed = peerSignalRelayedSchema.parse(JSON.parse(JSON.stringify({ ...signal, from: id })));
          setTimeout(() => byId.get(signal.to)?.network.handleSignal(relayed), 0);
        },
        reportPeer: (payload) => reports.push(payload),
      },
      onTaskStream: (from, frame) => streamed.push([from, frame]),
    });
    networks.push(network);
    byId.set(id, { id, network, store, seeks, reports, streamed });
  }
  return [...byId.values()];
}

/** Puts tiny-gpt2 into a tab's store and has it seed the model. */
async function seedTinyGpt2(tab: Tab): Promise<void> {
  for (const file of gpt2?.files ?? [])
    await tab.store.put(file.sha256, new Uint8Array(await readFile(new URL(`${TINY_GPT2_ID}/${file.path}`, MODELS_DIR))));
  tab.network.markSeedable(TINY_GPT2_ID);
}

function neighbourOf(tab: Tab, nodeId: NodeId): Neighbour | undefined {
  return tab.network.neighbours.find((neighbour) => neighbour.nodeId === nodeId);
}

/** Waits until `tab` heard `status` from `from`. */
async function heard(tab: Tab, from: NodeId, status: PeerStatus): Promise<void> {
  await vi.waitFor(() => expect(neighbourOf(tab, from)?.status).toEqual(status), { timeout: 5_000, interval: 10 });
}

const idle: PeerStatus = { activeTasks: 0, maxConcurrentTasks: 2, servingModels: [TINY_GPT2_ID], leaving: false };
const none = new Set<NodeId>();
const noReservations = new Map<NodeId, number>();

describe('PeerNetwork through a coordinator-like relay (real WebRTC, Node)', () => {
  it('finds seeders from a peer:seeders answer and gives file clients on open links', { timeout: 15_000 }, async () => {
    const [fetcher, seeder] = tabs(2);
    await seedTinyGpt2(seeder);
    const finding = fetcher.network.findSeeders(TINY_GPT2_ID);
    expect(fetcher.seeks).toEqual([{ modelId: TINY_GPT2_ID }]);
    fetcher.network.handleSeeders({ modelId: TINY_GPT2_ID, seeders: [seeder.id] });
    const found = await finding;
    expect(found.map((entry) => entry.nodeId)).toEqual([seeder.id]);
    expect(neighbourOf(fetcher, seeder.id)?.link.state).toBe('open');

    const config = await found[0]?.files.request({ modelId: TINY_GPT2_ID, path: 'config.json', offset: 0, length: 572 }, 2_000);
    expect(Buffer.from(config ?? []).equals(await readFile(new URL(`${TINY_GPT2_ID}/config.json`, MODELS_DIR)))).toBe(true);
    expect(seeder.network.servedBytes).toBe(572);
  });

  it('resolves findSeeders with none after seekTimeoutMs when the coordinator does not answer', async () => {
    const [fetcher] = tabs(1, { seekTimeoutMs: 100 });
    const started = performance.now();
    expect(await fetcher.network.findSeeders(TINY_GPT2_ID)).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(fetcher.seeks).toEqual([{ modelId: TINY_GPT2_ID }]);
    // A late answer finds nobody waiting and opens nothing.
    fetcher.network.handleSeeders({ modelId: TINY_GPT2_ID, seeders: [newNodeId()] });
    expect(fetcher.network.neighbours).toEqual([]);
  });

  it('exchanges peer:status when a link opens and again on every change', { timeout: 15_000 }, async () => {
    const [a, b] = tabs(2);
    const statusA: PeerStatus = { activeTasks: 1, maxConcurrentTasks: 3, servingModels: [TINY_BERT_ID], leaving: false };
    a.network.setStatus(statusA);
    b.network.setStatus(idle);
    await a.network.linkTo(b.id);
    await heard(a, b.id, idle);
    await heard(b, a.id, statusA);

    const leaving: PeerStatus = { ...idle, activeTasks: 2, leaving: true };
    b.network.setStatus(leaving);
    await heard(a, b.id, leaving);
  });

  it(
    'picks an idle neighbour serving the model, one with room counting reservations, and never a leaving one',
    { timeout: 20_000 },
    async () => {
      const [a, b, c] = tabs(3);
      b.network.setStatus(idle);
      const busy: PeerStatus = { ...idle, activeTasks: 1 };
      c.network.setStatus(busy);
      await Promise.all([a.network.linkTo(b.id), a.network.linkTo(c.id)]);
      await heard(a, b.id, idle);
      await heard(a, c.id, busy);

      const pickFor = (
        model: string,
        want: 'idle' | 'room',
        exclude: ReadonlySet<NodeId> = none,
        reserved: ReadonlyMap<NodeId, number> = noReservations,
      ): NodeId | undefined => a.network.neighbourFor(model, want, exclude, reserved)?.nodeId;
      expect(pickFor(TINY_GPT2_ID, 'idle')).toBe(b.id);
      expect(pickFor(TINY_BERT_ID, 'idle')).toBeUndefined();
      expect(pickFor(TINY_BERT_ID, 'room')).toBeUndefined();
      // Only B holds nothing; C has room for one more.
      expect(pickFor(TINY_GPT2_ID, 'idle', new Set([b.id]))).toBeUndefined();
      expect(pickFor(TINY_GPT2_ID, 'room', new Set([b.id]))).toBe(c.id);
      // A task offered to B and not yet answered: B is no longer idle. C's last slot reserved: no room.
      expect(pickFor(TINY_GPT2_ID, 'idle', none, new Map([[b.id, 1]]))).toBeUndefined();
      expect(pickFor(TINY_GPT2_ID, 'room', new Set([b.id]), new Map([[c.id, 1]]))).toBeUndefined();
      expect(pickFor(TINY_GPT2_ID, 'room', new Set([c.id]), new Map([[b.id, 1]]))).toBe(b.id);
      expect(pickFor(TINY_GPT2_ID, 'room', new Set([c.id]), new Map([[b.id, 2]]))).toBeUndefined();

      const leaving: PeerStatus = { ...idle, leaving: true };
      b.network.setStatus(leaving);
      c.network.setStatus({ ...busy, leaving: true });
      await heard(a, b.id, leaving);
      await heard(a, c.id, { ...busy, leaving: true });
      expect(pickFor(TINY_GPT2_ID, 'idle')).toBeUndefined();
      expect(pickFor(TINY_GPT2_ID, 'room')).toBeUndefined();
    },
  );

  it("passes task:stream frames to onTaskStream with the sending tab's node id", { timeout: 15_000 }, async () => {
    const [requester, worker] = tabs(2);
    const taskId = newTaskId();
    const frames: (TaskStreamFrame | TaskStreamEndFrame)[] = [
      { type: 'task:stream', taskId, seq: 0, delta: 'Hello' },
      { type: 'task:stream', taskId, seq: 1, delta: ' world' },
      { type: 'task:stream-end', taskId, chunks: 2, status: 'complete' },
    ];
    const link = await worker.network.linkTo(requester.id);
    for (const frame of frames) await link.send(frame);
    await vi.waitFor(() => expect(requester.streamed).toHaveLength(3), { timeout: 5_000, interval: 10 });
    expect(requester.streamed).toEqual(frames.map((frame) => [worker.id, frame]));
    expect(worker.streamed).toEqual([]);
  });

  it('reports a bad seeder to the coordinator with its node id, the model and the reason (at most 500 characters)', () => {
    const [fetcher] = tabs(1);
    const liar = newNodeId();
    fetcher.network.reportBadSeeder(liar, TINY_GPT2_ID, 'served wrong bytes for config.json at 0+572');
    fetcher.network.reportBadSeeder(liar, TINY_GPT2_ID, 'x'.repeat(600));
    expect(fetcher.reports).toEqual([
      { about: liar, modelId: TINY_GPT2_ID, reason: 'served wrong bytes for config.json at 0+572' },
      { about: liar, modelId: TINY_GPT2_ID, reason: 'x'.repeat(500) },
    ]);
  });

  it('does not wait the whole connect timeout for a seeder whose link never opens', async () => {
    const [seeker, seeder] = tabs(2, { seederWaitMs: 500 });
    await seedTinyGpt2(seeder);
    // A seeder the relay cannot reach: its offer goes nowhere, so its link would only fail after 10 s.
    const unreachable = newNodeId();
    const started = performance.now();
    const finding = seeker.network.findSeeders(TINY_GPT2_ID);
    seeker.network.handleSeeders({ modelId: TINY_GPT2_ID, seeders: [seeder.id, unreachable] });
    const found = await finding;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(found.map((entry) => entry.nodeId)).toEqual([seeder.id]);
  });
});
