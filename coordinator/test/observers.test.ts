import {
  OBSERVERS_NAMESPACE,
  TINY_GPT2_ID,
  networkSnapshotSchema,
  observerHistorySchema,
  observerSampleSchema,
  type NetworkSnapshot,
  type ObserverHistory,
  type ObserverSample,
} from '@tessera/shared';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { CoordinatorEventBus, type CoordinatorEvents } from '../src/events/coordinator-events.ts';
import { ObserverHistoryStore } from '../src/observers/observer-history.ts';
import { ObserverMeter, percentile } from '../src/observers/observer-meter.ts';
import { ObserverStream } from '../src/observers/observer-stream.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp } from './support/test-app.ts';
import { openTestDatabase } from './support/test-database.ts';

const track = closeAfterEach();
const HOUR = 60 * 60 * 1000;

const EMPTY: NetworkSnapshot = {
  nodes: [],
  queue: { queued: 2, assigned: 1, byModel: {} },
  totals: { succeeded: 0, failed: 0, cancelled: 0 },
  verification: { checked: 0, caught: 0, unverifiedForLackOfGuards: 0, uncheckableEngine: 0, pending: 0 },
  throughput: { tasksPerMinute: 0, tokensPerSecond: 0 },
  uptimeSeconds: 0,
};

function sampleAt(at: number): ObserverSample {
  const base = { tabs: { worker: 1, guard: 0 }, tasks: [], tokensPerSecond: 0, queued: 0, running: 0 };
  return { at, ...base, ttftMs: null, latencyMs: null, checked: 0, caught: 0 };
}

/** A task:succeeded payload with only what the meter reads. */
function succeeded(model: string, kind: string, firstTokenMs: number | null, latencyMs: number, tokens: number) {
  return {
    record: { spec: { model, kind }, createdAt: 1000, finishedAt: 1000 + latencyMs },
    result: { usage: { completionTokens: tokens }, timings: { firstTokenMs, totalMs: latencyMs } },
  } as unknown as CoordinatorEvents['task:succeeded'];
}

/** An `/observers` viewer that records what it is pushed, parsed with the shared schemas. */
class Viewer {
  readonly socket: Socket;
  readonly histories: ObserverHistory[] = [];
  readonly samples: ObserverSample[] = [];
  readonly snapshots: NetworkSnapshot[] = [];

  constructor(url: string) {
    this.socket = io(`${url}${OBSERVERS_NAMESPACE}`, { transports: ['websocket'], reconnection: false });
    this.socket.on('observers:history', (body: unknown) => this.histories.push(observerHistorySchema.parse(body)));
    this.socket.on('observers:sample', (body: unknown) => this.samples.push(observerSampleSchema.parse(body)));
    this.socket.on('observers:snapshot', (body: unknown) => this.snapshots.push(networkSnapshotSchema.parse(body)));
  }

  close(): void {
    this.socket.close();
  }
}

describe('observer history', () => {
  it('keeps samples in order and prunes those older than the window', async () => {
    const db = track(await openTestDatabase());
    const history = new ObserverHistoryStore(db, 24 * HOUR);
    const now = Date.now();
    history.add(sampleAt(now - 25 * HOUR));
    history.add(sampleAt(now - 2 * HOUR));
    history.add(sampleAt(now - HOUR));
    // Adding the newest prunes what fell out of the window, the 25-hour-old one.
    history.add(sampleAt(now));
    history.add(sampleAt(now));
    expect(history.recent(now).map((sample) => sample.at)).toEqual([now - 2 * HOUR, now - HOUR, now]);
    expect(db.all('SELECT at FROM observer_samples')).toHaveLength(3);
    expect(history.prune(now + 23.5 * HOUR)).toBe(2);
  });
});

describe('observer meter', () => {
  it('turns an interval of events into rates and percentiles, then starts afresh', () => {
    const events = new CoordinatorEventBus();
    const meter = new ObserverMeter(0);
    meter.observe(events);
    for (let i = 1; i <= 10; i++) events.emit('task:succeeded', succeeded('m', 'chat', i * 10, i * 100, 5));
    events.emit('task:succeeded', succeeded('e', 'embeddings', null, 50, 0));
    events.emit('verify:checked', { workerKey: 'k', verdict: 'valid', reason: '' });
    events.emit('verify:checked', { workerKey: 'k', verdict: 'invalid', reason: 'wrong' });

    const sample = meter.sample(10_000, EMPTY);
    expect(sample.tasks).toEqual([
      { model: 'm', kind: 'chat', perSecond: 1 },
      { model: 'e', kind: 'embeddings', perSecond: 0.1 },
    ]);
    expect(sample.tokensPerSecond).toBe(5);
    expect(sample.ttftMs).toEqual({ p50: 50, p95: 100 });
    expect(sample.latencyMs).toEqual({ p50: 500, p95: 1000 });
    expect([sample.checked, sample.caught, sample.queued, sample.running]).toEqual([2, 1, 2, 1]);

    const next = meter.sample(20_000, EMPTY);
    expect([next.tasks, next.ttftMs, next.latencyMs, next.checked]).toEqual([[], null, null, 0]);
    expect(percentile([3, 1, 2], 50)).toBe(2);
  });
});

describe('observer stream', () => {
  it('sends the stored history on connect, then each new sample; a restart keeps the history', async () => {
    const db = track(await openTestDatabase());
    const http = createServer();
    const socketServer = new Server(http);
    track({ close: () => socketServer.close() });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const history = new ObserverHistoryStore(db, 24 * HOUR);
    const earlier = sampleAt(Date.now() - HOUR);
    history.add(earlier);

    const events = new CoordinatorEventBus();
    const logger = { warn: () => undefined };
    const stream = new ObserverStream({ events, history, snapshot: () => EMPTY, logger, sampleMs: 100, pushMs: 100 });
    stream.listen(socketServer);
    stream.start();
    track({ close: () => stream.stop() });

    const viewer = track(new Viewer(url));
    const first = await eventually(() => viewer.histories[0], 3000, 'history');
    // The stored sample and the one taken at start.
    expect(first.samples.length).toBeGreaterThanOrEqual(2);
    expect(first.samples[0]).toEqual(earlier);
    expect(first.sampleMs).toBe(100);
    await eventually(() => (viewer.samples.length >= 2 ? true : undefined), 3000, 'pushed samples');
    await eventually(() => (viewer.snapshots.length >= 2 ? true : undefined), 3000, 'pushed snapshots');
    stream.stop();

    // A coordinator that samples elsewhere (not the leader) still serves the stored history, and adds none.
    const follower = new ObserverStream({ events, history, snapshot: () => EMPTY, logger, sampleMs: 50, samples: () => false });
    const stored = history.recent(Date.now()).length;
    follower.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    follower.stop();
    expect(history.recent(Date.now()).length).toBe(stored);
  });

  it('is served by the coordinator: history on connect, and a snapshot pushed when a tab joins', async () => {
    const server = track(await startTestApp());
    const viewer = track(new Viewer(server.url));
    const history = await eventually(() => viewer.histories[0], 3000, 'history');
    expect(history.sampleMs).toBe(10_000);
    expect(history.samples.length).toBeGreaterThanOrEqual(1);
    await eventually(() => viewer.snapshots[0], 3000, 'first snapshot');
    expect(viewer.snapshots[0]?.nodes).toEqual([]);

    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await tab.ready();
    // Sooner than the 3 s timer: the join pushes a snapshot of its own.
    await eventually(() => (viewer.snapshots.at(-1)?.nodes.length === 1 ? true : undefined), 2000, 'a snapshot with the tab');
  });
});
