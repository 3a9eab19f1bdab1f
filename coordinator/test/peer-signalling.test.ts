import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, newNodeId, newPeerSessionId } from '@tessera/shared';
import type { ModelState, NodeId, OfferedModel, PeerSignal } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { PeerSignalling, type PeerTab, type PeerToTabMessage } from '../src/peers/peer-signalling.ts';

interface FakeTab extends PeerTab {
  readonly inbox: PeerToTabMessage[];
}

function tab(models: Record<string, ModelState> = {}, publicKey: string = crypto.randomUUID()): FakeTab {
  const inbox: PeerToTabMessage[] = [];
  const offeredModels = new Map<string, OfferedModel>(Object.entries(models).map(([id, state]) => [id, { id, state, backend: 'wasm' }]));
  return { nodeId: newNodeId(), key: { publicKey }, channel: { send: (message) => inbox.push(message) }, offeredModels, inbox };
}

function setup(tabs: FakeTab[], options: { maxSeeders?: number; maxIntroductionsPerTab?: number; badSeederReports?: number } = {}) {
  const byId = new Map<NodeId, FakeTab>(tabs.map((t) => [t.nodeId, t]));
  const signalling = new PeerSignalling({
    directory: { get: (id) => byId.get(id), all: () => byId.values() },
    catalog: MODEL_CATALOG,
    ...options,
  });
  return {
    signalling,
    leave: (t: FakeTab) => {
      byId.delete(t.nodeId);
      signalling.forget(t.nodeId);
    },
  };
}

const offer = { type: 'offer', sdp: 'v=0\r\n' } as const;

function seeders(t: FakeTab): NodeId[] {
  const last = t.inbox.at(-1);
  if (last?.event !== 'peer:seeders') throw new Error(`expected peer:seeders, got ${last?.event}`);
  return last.payload.seeders;
}

describe('PeerSignalling', () => {
  it('introduces a seeker to tabs that have the model loaded or cached, never to itself', () => {
    const seeker = tab({ [TINY_GPT2_ID]: 'cached' });
    const loaded = tab({ [TINY_GPT2_ID]: 'loaded' });
    const cached = tab({ [TINY_GPT2_ID]: 'cached' });
    const available = tab({ [TINY_GPT2_ID]: 'available' });
    const other = tab({ [TINY_BERT_ID]: 'loaded' });
    const { signalling } = setup([seeker, loaded, cached, available, other]);

    expect(signalling.seek(seeker, { modelId: TINY_GPT2_ID })).toEqual({ ok: true });
    expect(new Set(seeders(seeker))).toEqual(new Set([loaded.nodeId, cached.nodeId]));
    expect(seeker.inbox[0]).toEqual({ event: 'peer:seeders', payload: { modelId: TINY_GPT2_ID, seeders: seeders(seeker) } });
    expect(signalling.introduced(seeker.nodeId, loaded.nodeId)).toBe(true);
    expect(signalling.introduced(loaded.nodeId, seeker.nodeId)).toBe(true);
    expect(signalling.introduced(seeker.nodeId, available.nodeId)).toBe(false);
    expect(signalling.introduced(seeker.nodeId, other.nodeId)).toBe(false);
    expect(signalling.introduced(seeker.nodeId, seeker.nodeId)).toBe(false);
    // The seeders learn of the seeker only from its first signal.
    expect(loaded.inbox).toEqual([]);
  });

  it('names at most maxSeeders, preferring the tabs with the fewest introductions', () => {
    const [a, b, c] = [tab(), tab(), tab()];
    const seedersOfModel = [tab({ [TINY_GPT2_ID]: 'loaded' }), tab({ [TINY_GPT2_ID]: 'loaded' }), tab({ [TINY_GPT2_ID]: 'loaded' })];
    const { signalling } = setup([a, b, c, ...seedersOfModel], { maxSeeders: 2 });
    signalling.seek(a, { modelId: TINY_GPT2_ID });
    expect(seeders(a)).toHaveLength(2);
    signalling.seek(b, { modelId: TINY_GPT2_ID });
    // The seeder a did not get is b's first choice.
    const untouched = seedersOfModel.find((s) => !seeders(a).includes(s.nodeId));
    expect(seeders(b)[0]).toBe(untouched?.nodeId);
  });

  it('answers an empty list for a hub model (no hashes to check seeded bytes) and refuses an unknown model', () => {
    const seeker = tab();
    const holder = tab({ 'Xenova/all-MiniLM-L6-v2': 'cached' });
    const { signalling } = setup([seeker, holder]);
    expect(signalling.seek(seeker, { modelId: 'Xenova/all-MiniLM-L6-v2' })).toEqual({ ok: true });
    expect(seeders(seeker)).toEqual([]);
    const outcome = signalling.seek(seeker, { modelId: 'nope/nothing' });
    expect(outcome.ok === false && outcome.code).toBe('model_not_found');
  });

  it('relays signals both ways between introduced tabs, stamping the sender', () => {
    const seeker = tab();
    const seeder = tab({ [TINY_GPT2_ID]: 'loaded' });
    const { signalling } = setup([seeker, seeder]);
    signalling.seek(seeker, { modelId: TINY_GPT2_ID });
    const sessionId = newPeerSessionId();

    expect(signalling.relay(seeker, { to: seeder.nodeId, sessionId, data: offer })).toEqual({ ok: true });
    expect(seeder.inbox).toEqual([{ event: 'peer:signal', payload: { to: seeder.nodeId, from: seeker.nodeId, sessionId, data: offer } }]);

    const answer = { type: 'answer', sdp: 'v=0\r\n' } as const;
    expect(signalling.relay(seeder, { to: seeker.nodeId, sessionId, data: answer })).toEqual({ ok: true });
    expect(seeker.inbox.at(-1)).toEqual({
      event: 'peer:signal',
      payload: { to: seeker.nodeId, from: seeder.nodeId, sessionId, data: answer },
    });
  });

  it('refuses signals between tabs that were not introduced, and to oneself', () => {
    const a = tab();
    const b = tab({ [TINY_GPT2_ID]: 'loaded' });
    const { signalling } = setup([a, b]);
    const signal: PeerSignal = { to: b.nodeId, sessionId: newPeerSessionId(), data: offer };
    const refused = signalling.relay(a, signal);
    expect(refused.ok === false && refused.code).toBe('peer_not_introduced');
    const self = signalling.relay(b, { ...signal, to: b.nodeId });
    expect(self.ok === false && self.code).toBe('peer_not_introduced');
    expect(b.inbox).toEqual([]);
  });

  it("forgets a tab's introductions when it leaves, and refuses signals to a tab that is gone", () => {
    const seeker = tab();
    const seeder = tab({ [TINY_GPT2_ID]: 'loaded' });
    const second = tab({ [TINY_GPT2_ID]: 'cached' });
    const { signalling, leave } = setup([seeker, seeder, second]);
    signalling.seek(seeker, { modelId: TINY_GPT2_ID });
    expect(signalling.size).toBe(3);

    leave(seeder);
    expect(signalling.introduced(seeker.nodeId, seeder.nodeId)).toBe(false);
    const afterLeave = signalling.relay(seeker, { to: seeder.nodeId, sessionId: newPeerSessionId(), data: offer });
    expect(afterLeave.ok === false && afterLeave.code).toBe('peer_not_introduced');
    expect(signalling.introduced(seeker.nodeId, second.nodeId)).toBe(true);

    leave(seeker);
    expect(signalling.size).toBe(0);
  });

  it('answers peer_unavailable when an introduced tab dropped without forget() yet', () => {
    const seeker = tab();
    const seeder = tab({ [TINY_GPT2_ID]: 'loaded' });
    const tabs = new Map<NodeId, FakeTab>([
      [seeker.nodeId, seeker],
      [seeder.nodeId, seeder],
    ]);
    const signalling = new PeerSignalling({ directory: { get: (id) => tabs.get(id), all: () => tabs.values() }, catalog: MODEL_CATALOG });
    signalling.seek(seeker, { modelId: TINY_GPT2_ID });
    tabs.delete(seeder.nodeId);
    const outcome = signalling.relay(seeker, { to: seeder.nodeId, sessionId: newPeerSessionId(), data: offer });
    expect(outcome.ok === false && outcome.code).toBe('peer_unavailable');
    expect(signalling.introduced(seeker.nodeId, seeder.nodeId)).toBe(false);
  });

  it('keeps at most maxIntroductionsPerTab per tab, forgetting the oldest', () => {
    const holders = Array.from({ length: 3 }, () => tab({ [TINY_GPT2_ID]: 'loaded' }));
    const seekers = Array.from({ length: 3 }, () => tab());
    const { signalling } = setup([...holders, ...seekers], { maxSeeders: 1, maxIntroductionsPerTab: 2 });
    for (let round = 0; round < 3; round++) for (const seeker of seekers) signalling.seek(seeker, { modelId: TINY_GPT2_ID });
    for (const t of [...holders, ...seekers]) {
      const peers = [...holders, ...seekers].filter((other) => signalling.introduced(t.nodeId, other.nodeId));
      expect(peers.length).toBeLessThanOrEqual(2);
    }
    // Each seeker can still signal the seeder it was introduced to last.
    for (const seeker of seekers) expect(signalling.introduced(seeker.nodeId, seeders(seeker)[0] ?? newNodeId())).toBe(true);
  });
  describe('peer:report', () => {
    it('stops introducing a seeder once enough distinct keys reported it, for that model only', () => {
      const liar = tab({ [TINY_GPT2_ID]: 'cached', [TINY_BERT_ID]: 'cached' });
      const honest = tab({ [TINY_GPT2_ID]: 'cached' });
      const first = tab();
      const second = tab();
      const { signalling } = setup([liar, honest, first, second], { badSeederReports: 2 });
      signalling.seek(first, { modelId: TINY_GPT2_ID });
      expect(seeders(first)).toContain(liar.nodeId);
      expect(signalling.report(first, { about: liar.nodeId, modelId: TINY_GPT2_ID, reason: 'wrong bytes' })).toEqual({ ok: true });
      // One reporter is not enough: a single tab must not be able to cut off an honest seeder.
      expect(signalling.isExcludedSeeder(liar.nodeId, TINY_GPT2_ID)).toBe(false);
      // The same key reporting again does not count twice.
      expect(signalling.report(first, { about: liar.nodeId, modelId: TINY_GPT2_ID, reason: 'again' })).toEqual({ ok: true });
      expect(signalling.isExcludedSeeder(liar.nodeId, TINY_GPT2_ID)).toBe(false);
      signalling.seek(second, { modelId: TINY_GPT2_ID });
      expect(signalling.report(second, { about: liar.nodeId, modelId: TINY_GPT2_ID, reason: 'wrong bytes' })).toEqual({ ok: true });
      expect(signalling.isExcludedSeeder(liar.nodeId, TINY_GPT2_ID)).toBe(true);
      const third = tab();
      signalling.seek(third, { modelId: TINY_GPT2_ID });
      expect(seeders(third)).toEqual([honest.nodeId]);
      expect(signalling.isExcludedSeeder(liar.nodeId, TINY_BERT_ID)).toBe(false);
    });

    it('refuses a report about a tab that was never introduced, and changes nothing', () => {
      const stranger = tab({ [TINY_GPT2_ID]: 'cached' });
      const reporter = tab();
      const { signalling } = setup([stranger, reporter], { badSeederReports: 1 });
      const outcome = signalling.report(reporter, { about: stranger.nodeId, modelId: TINY_GPT2_ID, reason: 'slander' });
      expect(outcome).toMatchObject({ ok: false, code: 'peer_not_introduced' });
      expect(signalling.isExcludedSeeder(stranger.nodeId, TINY_GPT2_ID)).toBe(false);
    });

    it('forgets reports when the seeder leaves (its next connection starts clean)', () => {
      const liar = tab({ [TINY_GPT2_ID]: 'cached' });
      const reporter = tab();
      const { signalling, leave } = setup([liar, reporter], { badSeederReports: 1 });
      signalling.seek(reporter, { modelId: TINY_GPT2_ID });
      signalling.report(reporter, { about: liar.nodeId, modelId: TINY_GPT2_ID, reason: 'wrong bytes' });
      expect(signalling.isExcludedSeeder(liar.nodeId, TINY_GPT2_ID)).toBe(true);
      leave(liar);
      expect(signalling.isExcludedSeeder(liar.nodeId, TINY_GPT2_ID)).toBe(false);
    });
  });

  it('introduce() lets a worker and a requesting tab signal each other', () => {
    const worker = tab({ [TINY_GPT2_ID]: 'loaded' });
    const requester = tab();
    const { signalling } = setup([worker, requester]);
    expect(signalling.introduced(worker.nodeId, requester.nodeId)).toBe(false);
    signalling.introduce(worker.nodeId, requester.nodeId);
    expect(signalling.introduced(requester.nodeId, worker.nodeId)).toBe(true);
    expect(signalling.relay(worker, { to: requester.nodeId, sessionId: newPeerSessionId(), data: offer })).toEqual({ ok: true });
    expect(requester.inbox.at(-1)?.event).toBe('peer:signal');
  });
});
