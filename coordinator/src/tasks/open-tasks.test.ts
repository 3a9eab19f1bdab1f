import { TINY_GPT2_ID, newNodeId } from '@tessera/shared';
import type { TaskSpec } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { newTaskRecord, specBytes } from './open-task.ts';
import { OpenTasks } from './open-tasks.ts';
import type { TaskRecord } from './task-record.ts';

const spec = (content: string): TaskSpec => ({
  kind: 'chat',
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content }],
  params: { maxTokens: 4, temperature: 0, topP: 1, seed: null, stop: [] },
});

function queued(content: string): TaskRecord {
  return newTaskRecord({ api: 'chat.completion', spec: spec(content), priority: 10, maxAttempts: 2, now: 0, waitMs: 1000 });
}

describe('OpenTasks', () => {
  it('keeps a large queued input out of memory until its turn, and a small one in memory', () => {
    const store = new Map<string, TaskRecord>();
    const open = new OpenTasks({ load: (id) => store.get(id), largeInputBytes: 1024 });
    const small = queued('small');
    const large = queued('x'.repeat(2000));
    for (const record of [small, large]) {
      store.set(record.id, structuredClone(record));
      open.admit(record, null, 'client', specBytes(record.spec));
    }
    expect(open.get(small.id)?.record.spec).toEqual(small.spec);
    expect(open.get(large.id)).toBeUndefined();
    expect(open.storedCount).toBe(1);
    expect(open.counts()).toEqual({ queued: 2, assigned: 0 });
    expect(open.bytes('client')).toBe(specBytes(small.spec) + specBytes(large.spec));

    expect(open.next(TINY_GPT2_ID)?.record.id).toBe(small.id);
    open.remove(open.get(small.id)!);
    // Its turn: read back from the store, whole.
    expect(open.next(TINY_GPT2_ID)?.record.spec).toEqual(large.spec);
    expect(open.storedCount).toBe(0);
    expect(open.get(large.id)).toBeDefined();
    expect(open.bytes('client')).toBe(specBytes(large.spec));
  });

  it('drops a stored entry the store no longer holds as queued, keeping counts and bytes right', () => {
    const store = new Map<string, TaskRecord>();
    const open = new OpenTasks({ load: (id) => store.get(id), largeInputBytes: 10 });
    const gone = queued('gone from the store');
    open.admit(gone, null, 'client', specBytes(gone.spec));
    expect(open.next(TINY_GPT2_ID)).toBeUndefined();
    expect(open.counts()).toEqual({ queued: 0, assigned: 0 });
    expect(open.bytes()).toBe(0);
  });

  it('keeps a task that streams straight to a tab in memory whatever its size', () => {
    const open = new OpenTasks({ largeInputBytes: 10 });
    const direct = queued('streams to a requesting tab');
    const requester = newNodeId();
    open.admit(direct, requester, 'client', specBytes(direct.spec));
    expect(open.get(direct.id)?.directTo).toBe(requester);
  });
});
