import type { ChatRun, GenerateRequest } from '../engine/inference-engine.ts';
import type { ConfigurableEngine } from '../node/model-loader.ts';
import { describe, expect, it } from 'vitest';
import { pacedEngine, type PaceClock } from './paced-engine.ts';

/** An engine whose every run keeps it busy for `busyMs` on a clock the test owns. */
function busyEngine(clock: { t: number }, busyMs: number, starts: number[]): ConfigurableEngine {
  const run = async (): Promise<ChatRun> => {
    starts.push(clock.t);
    await Promise.resolve();
    clock.t += busyMs;
    return {
      output: { kind: 'chat', text: '', finishReason: 'stop', tokenIds: [] },
      usage: { promptTokens: 1, completionTokens: 0 },
    } as ChatRun;
  };
  const unused = (): never => {
    throw new Error('not used');
  };
  return { configure: unused, load: unused, generate: run, embed: unused, score: unused, unload: unused, listLoaded: unused };
}

function testClock(state: { t: number }, slept: number[]): PaceClock {
  return {
    now: () => state.t,
    sleep: async (ms) => {
      slept.push(ms);
      state.t += ms;
    },
  };
}

const request = {} as GenerateRequest;

describe('pacedEngine', () => {
  it('rests after each run so the engine works at most its share of the time', async () => {
    const state = { t: 0 };
    const starts: number[] = [];
    const slept: number[] = [];
    const engine = pacedEngine(busyEngine(state, 100, starts), 0.25, testClock(state, slept));
    await Promise.all([engine.generate(request), engine.generate(request), engine.generate(request)]);
    // Busy 100 ms, then 300 ms of rest (75 % of the time): runs start at 0, 400, 800.
    expect(starts).toEqual([0, 400, 800]);
    expect(slept).toEqual([300, 300]);
    expect((100 * 3) / (state.t + 300)).toBeCloseTo(0.25);
  });

  it('does not rest at a share of one, and does not rest before the first run', async () => {
    const state = { t: 0 };
    const starts: number[] = [];
    const slept: number[] = [];
    const engine = pacedEngine(busyEngine(state, 50, starts), 1, testClock(state, slept));
    await engine.generate(request);
    await engine.generate(request);
    expect(starts).toEqual([0, 50]);
    expect(slept).toEqual([]);
  });

  it('owes no rest for time that already passed', async () => {
    const state = { t: 0 };
    const starts: number[] = [];
    const slept: number[] = [];
    const engine = pacedEngine(busyEngine(state, 100, starts), 0.5, testClock(state, slept));
    await engine.generate(request);
    state.t += 1_000;
    await engine.generate(request);
    expect(slept).toEqual([]);
  });
});
