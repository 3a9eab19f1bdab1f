import type { NetworkSnapshot, ObserverSample } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { dashboardCharts, epochCreditChart } from './dashboard-charts.ts';
import { capacityByModel, tabsByTier } from './network-tables.ts';
import { openObserverFeed, type ObserverSocket } from './observer-feed.ts';

function sample(at: number, tasks: ObserverSample['tasks'], ttft: number | null): ObserverSample {
  return {
    at,
    tabs: { worker: 2, guard: 1 },
    tasks,
    tokensPerSecond: 3,
    queued: 4,
    running: 1,
    ttftMs: ttft === null ? null : { p50: ttft, p95: ttft * 2 },
    latencyMs: null,
    checked: 1,
    caught: 0,
  };
}

describe('dashboardCharts', () => {
  it('lines up every series on the samples’ times, in seconds, with gaps where nothing was measured', () => {
    const charts = dashboardCharts([
      sample(10_000, [{ model: 'a', kind: 'chat', perSecond: 0.5 }], 40),
      sample(20_000, [{ model: 'b', kind: 'embeddings', perSecond: 2 }], null),
    ]);
    const byId = new Map(charts.map((chart) => [chart.id, chart]));
    expect([...byId.keys()]).toEqual(['tabs', 'tasks', 'queue', 'latency', 'throughput', 'checks']);
    const tasks = byId.get('tasks');
    expect(tasks?.unit).toBe('tasks/s');
    // The busier pair first; a pair with nothing in a sample is 0 there.
    expect(tasks?.series.map((series) => series.label)).toEqual(['b · embeddings', 'a · chat']);
    expect(tasks?.data).toEqual([
      [10, 20],
      [0, 2],
      [0.5, 0],
    ]);
    expect(byId.get('latency')?.data.slice(1, 3)).toEqual([
      [40, null],
      [80, null],
    ]);
    expect(byId.get('tabs')?.data).toEqual([
      [10, 20],
      [2, 2],
      [1, 1],
    ]);
  });

  it('draws empty charts without samples', () => {
    expect(dashboardCharts([]).every((chart) => chart.data[0].length === 0)).toBe(true);
  });
});

const REPUTATION = { tier: 'trusted', accuracy: 1, validChecks: 3, invalidChecks: 0, consecutiveValid: 3, checkProbability: 0.1 } as const;

function snapshotWith(nodes: Partial<NetworkSnapshot['nodes'][number]>[], byModel: Record<string, number>): NetworkSnapshot {
  return {
    nodes: nodes.map((node, index) => ({
      nodeId: `n${index}`,
      role: 'worker',
      connectedAt: 0,
      lastSeenAt: 0,
      gpu: null,
      backends: ['wasm'],
      models: [],
      activeTasks: 0,
      maxConcurrentTasks: 2,
      completedTasks: 0,
      failedTasks: 0,
      tokensPerSecond: null,
      keyFingerprint: 'k',
      reputation: REPUTATION,
      refusedModels: [],
      verdicts: { valid: 0, invalid: 0 },
      ...node,
    })),
    queue: { queued: 0, assigned: 0, byModel },
    totals: { succeeded: 0, failed: 0, cancelled: 0 },
    verification: { checked: 0, caught: 0, unverifiedForLackOfGuards: 0, uncheckableEngine: 0, pending: 0 },
    throughput: { tasksPerMinute: 0, tokensPerSecond: 0 },
    uptimeSeconds: 0,
  };
}

describe('network tables', () => {
  it('sums each model’s loaded tabs, free slots and speed; refused models and guards do not count', () => {
    const snapshot = snapshotWith(
      [
        { models: [{ id: 'm', state: 'loaded', backend: 'wasm' }], tokensPerSecond: 10, activeTasks: 1 },
        { models: [{ id: 'm', state: 'loaded', backend: 'wasm' }], tokensPerSecond: 5 },
        { models: [{ id: 'm', state: 'cached', backend: 'wasm' }] },
        { models: [{ id: 'm', state: 'loaded', backend: 'wasm' }], refusedModels: ['m'], tokensPerSecond: 99 },
        { role: 'guard', models: [{ id: 'm', state: 'loaded', backend: 'wasm' }], reputation: { ...REPUTATION, tier: 'veteran' } },
      ],
      { m: 3, waiting: 1 },
    );
    expect(capacityByModel(snapshot)).toEqual([
      { model: 'm', loaded: 2, cached: 1, freeSlots: 3, tokensPerSecond: 15, queued: 3 },
      { model: 'waiting', loaded: 0, cached: 0, freeSlots: 0, tokensPerSecond: null, queued: 1 },
    ]);
    expect(tabsByTier(snapshot)).toEqual([
      { tier: 'veteran', workers: 0, guards: 1 },
      { tier: 'trusted', workers: 4, guards: 0 },
    ]);
  });
});

describe('openObserverFeed', () => {
  it('parses what the coordinator pushes and drops what does not parse', () => {
    const listeners = new Map<string, (...args: unknown[]) => void>();
    let url = '';
    let closed = false;
    const socket: ObserverSocket = {
      on: (event, listener) => listeners.set(event, listener),
      close: () => (closed = true),
    };
    const got: string[] = [];
    const close = openObserverFeed(
      'http://coordinator',
      {
        history: (history) => got.push(`history ${history.samples.length}`),
        sample: (one) => got.push(`sample ${one.at}`),
        snapshot: (snapshot) => got.push(`snapshot ${snapshot.nodes.length}`),
        connection: (connected) => got.push(`connected ${connected}`),
      },
      (to) => {
        url = to;
        return socket;
      },
    );
    expect(url).toBe('http://coordinator/observers');
    listeners.get('connect')?.();
    listeners.get('observers:history')?.({ sampleMs: 10_000, samples: [sample(1, [], null)] });
    listeners.get('observers:sample')?.(sample(2, [], null));
    listeners.get('observers:sample')?.({ at: 'soon' });
    listeners.get('observers:snapshot')?.(snapshotWith([{}], {}));
    expect(got).toEqual(['connected true', 'history 1', 'sample 2', 'snapshot 1']);
    close();
    expect(closed).toBe(true);
  });
});

describe('epochCreditChart', () => {
  it('plots each closed epoch’s total in TSRA at its end, leaving the open one out', () => {
    const epoch = (n: number, total: string | null) => ({
      epoch: n,
      startedAt: n * 3_600_000,
      endsAt: (n + 1) * 3_600_000,
      status: total === null ? ('open' as const) : ('closed' as const),
      root: null,
      total,
      accounts: 1,
      txHash: null,
      hcsSequence: null,
    });
    const chart = epochCreditChart([epoch(3, null), epoch(2, '150000000'), epoch(1, '120000')]);
    expect(chart.unit).toBe('TSRA');
    expect(chart.data).toEqual([
      [7200, 10_800],
      [0.0012, 1.5],
    ]);
  });
});
