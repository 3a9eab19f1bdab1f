import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { BehaviourWatch, DEFAULT_BEHAVIOUR_POLICY } from './behaviour-watch.ts';

function watch(): BehaviourWatch {
  return new BehaviourWatch({ events: new CoordinatorEventBus(), logger: pino({ level: 'silent' }) });
}

describe('BehaviourWatch', () => {
  it('raises the floor when a tab suddenly answers far shorter and faster than it always did, for a while', () => {
    const watcher = watch();
    for (let i = 0; i < 30; i++) watcher.observe('k', 40 + (i % 5), 100 + (i % 7));
    expect(watcher.raisedFloor('k')).toBe(0);
    watcher.observe('k', 1, 5000);
    expect(watcher.raisedFloor('k')).toBe(DEFAULT_BEHAVIOUR_POLICY.watchedFloor);
    for (let i = 0; i < DEFAULT_BEHAVIOUR_POLICY.watchResults; i++) watcher.observe('k', 40 + (i % 5), 100 + (i % 7));
    expect(watcher.raisedFloor('k')).toBe(0);
  });

  it('ignores ordinary variation and keys it knows too little about', () => {
    const watcher = watch();
    for (let i = 0; i < 50; i++) watcher.observe('steady', 20 + (i % 11) * 3, 80 + (i % 13) * 5);
    expect(watcher.raisedFloor('steady')).toBe(0);
    for (let i = 0; i < 5; i++) watcher.observe('new', 40, 100);
    watcher.observe('new', 1, 5000);
    expect(watcher.raisedFloor('new')).toBe(0);
  });

  it('notices a change in a history with no spread at all, and takes small jitter around a steady pace for none', () => {
    const watcher = watch();
    // Every answer exactly at max_tokens, at exactly the same pace: a standard deviation of zero.
    for (let i = 0; i < 30; i++) watcher.observe('fixed', 50, 8);
    watcher.observe('fixed', 52, 9);
    expect(watcher.raisedFloor('fixed')).toBe(0);
    watcher.observe('fixed', 50, 40);
    expect(watcher.raisedFloor('fixed')).toBe(DEFAULT_BEHAVIOUR_POLICY.watchedFloor);
  });
});
