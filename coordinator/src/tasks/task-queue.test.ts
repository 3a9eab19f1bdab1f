import { newTaskId } from '@tessera/shared';
import type { TaskId } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { TaskQueue } from './task-queue.ts';

describe('TaskQueue', () => {
  it('serves lower priority numbers first and FIFO within a priority', () => {
    const queue = new TaskQueue();
    const [a, b, c, d] = [newTaskId(), newTaskId(), newTaskId(), newTaskId()];
    queue.enqueue('m', { id: a, priority: 10 });
    queue.enqueue('m', { id: b, priority: 10 });
    queue.enqueue('m', { id: c, priority: 0 });
    queue.enqueue('m', { id: d, priority: 10 }, true);
    const live = () => true;
    expect([
      queue.shift('m', live),
      queue.shift('m', live),
      queue.shift('m', live),
      queue.shift('m', live),
      queue.shift('m', live),
    ]).toEqual([c, d, a, b, undefined]);
  });

  it('skips entries that are no longer live and reports positions among live ones', () => {
    const queue = new TaskQueue();
    const ids = Array.from({ length: 5 }, () => newTaskId());
    for (const id of ids) queue.enqueue('m', { id, priority: 1 });
    const dead = new Set<TaskId>([ids[0] as TaskId, ids[2] as TaskId]);
    const live = (id: TaskId) => !dead.has(id);
    expect(queue.position('m', ids[3] as TaskId, live)).toBe(1);
    expect(queue.position('m', ids[0] as TaskId, live)).toBeNull();
    expect(queue.peek('m', live)).toBe(ids[1]);
    expect(queue.shift('m', live)).toBe(ids[1]);
    expect(queue.shift('m', live)).toBe(ids[3]);
  });

  it('keeps order over many pushes and shifts (compaction is invisible)', () => {
    const queue = new TaskQueue();
    const ids = Array.from({ length: 5000 }, () => newTaskId());
    const out: TaskId[] = [];
    ids.forEach((id, i) => {
      queue.enqueue('m', { id, priority: 0 });
      if (i % 3 === 0) out.push(queue.shift('m', () => true) as TaskId);
    });
    for (let next = queue.shift('m', () => true); next !== undefined; next = queue.shift('m', () => true)) out.push(next);
    expect(out).toEqual(ids);
  });

  it('keeps models apart', () => {
    const queue = new TaskQueue();
    const id = newTaskId();
    queue.enqueue('a', { id, priority: 0 });
    expect(queue.shift('b', () => true)).toBeUndefined();
    expect(queue.shift('a', () => true)).toBe(id);
  });
});
