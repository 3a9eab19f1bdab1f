import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChainedPoller } from './chained-poller.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ChainedPoller', () => {
  it('reads at once, then again an interval after each read ends, and never twice at a time', async () => {
    const started: number[] = [];
    let finish: (() => void) | undefined;
    const poller = new ChainedPoller({
      intervalMs: 1000,
      poll: () => new Promise<void>((resolve) => (started.push(Date.now()), (finish = resolve))),
    });
    poller.start();
    poller.start();
    expect(started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(started).toHaveLength(1);
    finish?.();
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(2);
  });

  it('aborts the read in flight on stop and polls no more; a failing read does not end the loop', async () => {
    const signals: AbortSignal[] = [];
    let fail = true;
    const poller = new ChainedPoller({
      intervalMs: 100,
      poll: async (signal) => {
        signals.push(signal);
        if (fail) throw new Error('down');
      },
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(signals).toHaveLength(2);
    fail = false;
    poller.stop();
    expect(poller.running).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(signals).toHaveLength(2);
  });

  it('pollNow aborts the read in flight and restarts the chain from the new read', async () => {
    const signals: AbortSignal[] = [];
    const poller = new ChainedPoller({ intervalMs: 100, poll: (signal) => (signals.push(signal), new Promise<void>(() => {})) });
    poller.start();
    void poller.pollNow();
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    poller.stop();
    expect(signals[1]?.aborted).toBe(true);
  });
});
