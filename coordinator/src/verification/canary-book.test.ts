import { MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import type { ModelCatalogEntry, TaskOutput, TaskSpec } from '@tessera/shared';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/test-database.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { TaskRecord, TaskResultRecord } from '../tasks/task-record.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import { CanaryBook } from './canary-book.ts';

const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (tiny === undefined) throw new Error('no tiny-gpt2');
const BARE: ModelCatalogEntry = { ...tiny, id: 'test/bare', knownAnswers: [], canary: null };
const CATALOG = [tiny, BARE];

function chat(content: string, params: Partial<Extract<TaskSpec, { kind: 'chat' }>['params']> = {}, model = BARE.id): TaskSpec {
  return {
    kind: 'chat',
    model,
    messages: [{ role: 'user', content }],
    params: { maxTokens: 16, temperature: 0, topP: 1, seed: null, stop: [], ...params },
  };
}
const ANSWER: TaskOutput = { kind: 'chat', text: ' yes', finishReason: 'stop', tokenIds: [1, 2] };

const opened: SqlDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));
/** A fresh database (SQLite, or PostgreSQL in the coordinator-postgres project); `dir` to reopen the same one. */
async function database(dir?: string): Promise<SqlDatabase> {
  const db = await openTestDatabase(dir);
  opened.push(db);
  return db;
}

describe('CanaryBook', () => {
  it("asks the catalog's reference answers where there are any, and records none for such a model", async () => {
    const book = new CanaryBook({ db: await database(), catalog: CATALOG });
    expect(book.answers(TINY_GPT2_ID)).toBe(tiny.knownAnswers);
    expect(book.record(chat('Tessera', {}, TINY_GPT2_ID), ANSWER, 'key')).toBe(false);
    expect(book.answers(BARE.id)).toEqual([]);
  });

  it('records only what can be asked again exactly: greedy, one user message, no stop, a short non-empty answer', async () => {
    const book = new CanaryBook({ db: await database(), catalog: CATALOG });
    expect(book.record(chat('sampled', { temperature: 0.7 }), ANSWER, 'k')).toBe(false);
    expect(book.record(chat('stops', { stop: ['.'] }), ANSWER, 'k')).toBe(false);
    expect(
      book.record(
        {
          ...chat('two'),
          messages: [
            { role: 'system', content: 's' },
            { role: 'user', content: 'two' },
          ],
        } as TaskSpec,
        ANSWER,
        'k',
      ),
    ).toBe(false);
    expect(book.record(chat('empty'), { kind: 'chat', text: '', finishReason: 'stop', tokenIds: [] }, 'k')).toBe(false);
    expect(
      book.record(chat('long'), { kind: 'chat', text: 'x', finishReason: 'length', tokenIds: new Array<number>(65).fill(1) }, 'k'),
    ).toBe(false);
    expect(book.record({ kind: 'embeddings', model: BARE.id, texts: ['a', 'b'] }, { kind: 'embeddings', vectors: [[1], [0]] }, 'k')).toBe(
      false,
    );
    expect(book.answers(BARE.id)).toEqual([]);

    expect(book.record(chat('hello'), ANSWER, 'k')).toBe(true);
    expect(book.record(chat('hello'), { ...ANSWER, text: ' other' }, 'k2')).toBe(false);
    expect(book.record({ kind: 'embeddings', model: BARE.id, texts: ['a'] }, { kind: 'embeddings', vectors: [[0.6, 0.8]] }, 'k')).toBe(
      true,
    );
    expect(book.answers(BARE.id)).toEqual([
      { kind: 'chat', prompt: 'hello', maxTokens: 16, expectedCompletion: ' yes', finishReason: 'stop' },
      { kind: 'embeddings', text: 'a', expectedVector: [0.6, 0.8] },
    ]);
  });

  it('keeps at most maxRecordedPerModel, and keeps them across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-canaries-'));
    try {
      const db = await openTestDatabase(dir);
      const book = new CanaryBook({ db, catalog: CATALOG, maxRecordedPerModel: 2 });
      for (const prompt of ['a', 'b', 'c']) book.record(chat(prompt), ANSWER, 'k');
      db.close();
      const again = new CanaryBook({ db: await database(dir), catalog: CATALOG, maxRecordedPerModel: 2 });
      expect(again.answers(BARE.id).map((answer) => (answer.kind === 'chat' ? answer.prompt : answer.text))).toEqual(['a', 'b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows the event bus: only guard-confirmed results, never a task whose caller asked for a minimum tier', async () => {
    const events = new CoordinatorEventBus();
    const book = new CanaryBook({ db: await database(), catalog: CATALOG });
    book.listen(events);
    // A worker on WASM: what it confirmed holds for the model's WASM weights.
    const worker = {
      key: { publicKey: 'worker-key' },
      offeredModels: new Map([[BARE.id, { id: BARE.id, state: 'loaded', backend: 'wasm' }]]),
    } as WorkerSession;
    const result = (check: TaskResultRecord['check']): TaskResultRecord => ({
      output: ANSWER,
      usage: { promptTokens: 1, completionTokens: 2 },
      timings: { firstTokenMs: 1, totalMs: 2 },
      nodeId: '00000000-0000-4000-8000-000000000000' as TaskResultRecord['nodeId'],
      check,
    });
    const succeed = (prompt: string, check: TaskResultRecord['check'], minTier: 'trusted' | null = null): void =>
      events.emit('task:succeeded', {
        // Only the spec and the caller's tier matter here.
        record: { spec: chat(prompt), minTier } as TaskRecord,
        result: result(check),
        worker,
        queued: 0,
      });
    succeed('unchecked', 'unchecked');
    succeed('unverified', 'unverified');
    succeed('private', 'passed', 'trusted');
    expect(book.answers(BARE.id)).toEqual([]);
    succeed('confirmed', 'passed');
    expect(book.answers(BARE.id)).toEqual([
      { kind: 'chat', prompt: 'confirmed', maxTokens: 16, expectedCompletion: ' yes', finishReason: 'stop', dtype: BARE.dtype.wasm },
    ]);
  });
});
