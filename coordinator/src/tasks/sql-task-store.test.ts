import { TINY_GPT2_ID, newNodeId, newTaskId } from '@tessera/shared';
import type { TaskSpec } from '@tessera/shared';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres, openTestDatabase } from '../../test/support/test-database.ts';
import { SqliteDatabase } from '../db/sqlite-database.ts';
import { SqlTaskStore } from './sql-task-store.ts';

const spec: TaskSpec = {
  kind: 'chat',
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content: 'hi' }],
  params: { maxTokens: 5, temperature: 0, topP: 1, seed: null, stop: [] },
};
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
  dirs.push(dir);
  return dir;
}

function insert(store: SqlTaskStore, createdAt: number) {
  const id = newTaskId();
  store.insert({
    id,
    api: 'chat.completion',
    spec,
    priority: 10,
    maxAttempts: 3,
    createdAt,
    deadlineAt: createdAt + 1000,
    minTier: null,
    cancelTokenHash: null,
  });
  return id;
}

describe(`SqlTaskStore on ${onPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  it('survives closing and reopening the database: results kept, assigned tasks queued again', async () => {
    const dir = freshDir();
    const db = await openTestDatabase(dir);
    const store = new SqlTaskStore(db);
    const done = insert(store, 1);
    const running = insert(store, 2);
    const waiting = insert(store, 3);
    const node = newNodeId();
    expect(store.apply(done, { type: 'assign', nodeId: node, leaseExpiresAt: 100 })).toBe(true);
    expect(
      store.apply(done, {
        type: 'succeed',
        result: {
          output: { kind: 'chat', text: 'ok', finishReason: 'stop', tokenIds: [1] },
          usage: { promptTokens: 1, completionTokens: 1 },
          timings: { firstTokenMs: 1, totalMs: 2 },
          nodeId: node,
          check: 'unchecked',
        },
        at: 50,
      }),
    ).toBe(true);
    expect(store.apply(running, { type: 'assign', nodeId: node, leaseExpiresAt: 100 })).toBe(true);
    db.close();

    const again = await openTestDatabase(dir);
    const reopened = new SqlTaskStore(again);
    expect(reopened.get(done)?.result?.output).toEqual({ kind: 'chat', text: 'ok', finishReason: 'stop', tokenIds: [1] });
    const open = reopened.recoverOpenTasks();
    expect(open.map((record) => [record.id, record.status, record.attempts])).toEqual([
      [running, 'queued', 1],
      [waiting, 'queued', 0],
    ]);
    expect(reopened.counts()).toMatchObject({ queued: 2, assigned: 0, succeeded: 1 });
    again.close();
  });

  it('refuses transitions from the wrong state, so a late message cannot resurrect a task', async () => {
    const db = await openTestDatabase();
    const store = new SqlTaskStore(db);
    const id = insert(store, 1);
    expect(store.apply(id, { type: 'cancel', at: 5 })).toBe(true);
    expect(store.apply(id, { type: 'assign', nodeId: newNodeId(), leaseExpiresAt: 10 })).toBe(false);
    expect(
      store.apply(id, {
        type: 'succeed',
        result: {
          output: { kind: 'chat', text: '', finishReason: 'stop', tokenIds: [] },
          usage: { promptTokens: 0, completionTokens: 0 },
          timings: { firstTokenMs: null, totalMs: 0 },
          nodeId: newNodeId(),
          check: 'unchecked',
        },
        at: 6,
      }),
    ).toBe(false);
    expect(store.apply(id, { type: 'fail', error: { code: 'internal_error', message: 'x', retryable: true }, at: 7 })).toBe(false);
    expect(store.get(id)?.status).toBe('cancelled');
    db.close();
  });

  it('stores a result only from the tab that holds the attempt, never from one whose attempt was taken over', async () => {
    const db = await openTestDatabase();
    const store = new SqlTaskStore(db);
    const id = insert(store, 1);
    const first = newNodeId();
    const second = newNodeId();
    const result = (nodeId: typeof first) => ({
      output: { kind: 'chat' as const, text: 'hi', finishReason: 'stop' as const, tokenIds: [1] },
      usage: { promptTokens: 1, completionTokens: 1 },
      timings: { firstTokenMs: null, totalMs: 1 },
      nodeId,
      check: 'unchecked' as const,
    });
    expect(store.apply(id, { type: 'assign', nodeId: first, leaseExpiresAt: 10 })).toBe(true);
    expect(store.apply(id, { type: 'requeue' })).toBe(true);
    expect(store.apply(id, { type: 'assign', nodeId: second, leaseExpiresAt: 20 })).toBe(true);
    expect(store.apply(id, { type: 'succeed', result: result(first), at: 21 })).toBe(false);
    expect(store.apply(id, { type: 'succeed', result: result(second), at: 22 })).toBe(true);
    expect(store.get(id)?.result?.nodeId).toBe(second);
    db.close();
  });

  // About SQLite itself.
  it.skipIf(onPostgres)('runs SQLite in WAL mode', async () => {
    const db = await openTestDatabase(freshDir());
    if (!(db instanceof SqliteDatabase)) throw new Error('not SQLite');
    expect(db.handle.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
