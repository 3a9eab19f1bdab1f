import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.ts';

interface Events {
  'task:done': { id: string };
  'task:lost': { id: string; why: string };
}

describe('EventBus', () => {
  it('delivers each event to its own listeners, in subscription order, until they unsubscribe', () => {
    const bus = new EventBus<Events>();
    const heard: string[] = [];
    const off = bus.on('task:done', ({ id }) => heard.push(`a:${id}`));
    bus.on('task:done', ({ id }) => heard.push(`b:${id}`));
    bus.on('task:lost', ({ why }) => heard.push(`lost:${why}`));
    bus.emit('task:done', { id: '1' });
    off();
    bus.emit('task:done', { id: '2' });
    expect(heard).toEqual(['a:1', 'b:1', 'b:2']);
    expect(bus.listenerCount('task:done')).toBe(1);
  });

  it('lets a throwing listener abort the emit, so a transaction around it rolls back', () => {
    const bus = new EventBus<Events>();
    const heard: string[] = [];
    bus.on('task:done', () => {
      throw new Error('ledger down');
    });
    bus.on('task:done', ({ id }) => heard.push(id));
    expect(() => bus.emit('task:done', { id: '1' })).toThrow('ledger down');
    expect(heard).toEqual([]);
  });
});
