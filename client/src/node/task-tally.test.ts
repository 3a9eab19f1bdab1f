import { TINY_BERT_ID, TINY_GPT2_ID, newTaskId } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { TaskTally } from './task-tally.ts';
import type { ServedTask } from './task-runner.ts';

function task(patch: Partial<ServedTask> = {}): ServedTask {
  return {
    taskId: newTaskId(),
    kind: 'chat',
    model: TINY_GPT2_ID,
    status: 'running',
    startedAt: 0,
    units: 0,
    firstTokenMs: null,
    totalMs: null,
    tokensPerSecond: null,
    error: null,
    direct: false,
    ...patch,
  };
}

describe('TaskTally', () => {
  it('keeps one line per task, newest first, and counts each task once, when it ends', () => {
    const tally = new TaskTally();
    const chat = task();
    tally.record(chat);
    tally.record({ ...chat, units: 2 });
    expect(tally.recent).toEqual([{ ...chat, units: 2 }]);
    expect(tally.totals.served).toBe(0);

    tally.record({ ...chat, status: 'succeeded', units: 3, totalMs: 30 });
    const embeddings = task({ kind: 'embeddings', model: TINY_BERT_ID, status: 'succeeded', units: 4, totalMs: 5 });
    tally.record(embeddings);
    for (const status of ['failed', 'cancelled', 'refused', 'handed-off'] as const) tally.record(task({ status }));

    expect(tally.recent.map((line) => line.status)).toEqual(['handed-off', 'refused', 'cancelled', 'failed', 'succeeded', 'succeeded']);
    expect(tally.recent[4]?.taskId).toBe(embeddings.taskId);
    // busyMs counts chat time only: tokens per second is a chat figure.
    expect(tally.totals).toEqual({ served: 2, failed: 1, cancelled: 1, refused: 1, handedOff: 1, tokens: 3, embeddings: 4, busyMs: 30 });
  });

  it('keeps the last 50 lines and a new totals object on every change', () => {
    const tally = new TaskTally();
    const before = tally.totals;
    for (let i = 0; i < 60; i++) tally.record(task({ status: 'succeeded', units: 1, totalMs: 1 }));
    expect(tally.recent).toHaveLength(50);
    expect(tally.totals.served).toBe(60);
    expect(tally.totals).not.toBe(before);
    expect(before.served).toBe(0);
  });
});
