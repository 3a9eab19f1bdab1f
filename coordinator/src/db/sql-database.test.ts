import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres, openTestDatabase } from '../../test/support/test-database.ts';
import type { SqlDatabase } from './sql-database.ts';

// One suite for both implementations: the coordinator project runs it on SQLite, coordinator-postgres on
// PostgreSQL. Every store relies on exactly these behaviours.
describe(`SqlDatabase on ${onPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  let db: SqlDatabase;
  const names = () => db.all('SELECT name FROM probe ORDER BY name').map((row) => (row as { name: string }).name);

  beforeAll(async () => {
    db = await openTestDatabase();
    const bytes = db.dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
    db.exec(`CREATE TABLE probe (name TEXT PRIMARY KEY, at BIGINT, money TEXT, bytes ${bytes})`);
  });
  afterAll(() => db.close());

  it('is the dialect the project asked for', () => {
    expect(db.dialect).toBe(onPostgres ? 'postgres' : 'sqlite');
  });

  it('binds ? in order, never inside a string literal', () => {
    expect(db.get(`SELECT ? AS a, '?' AS q, ? AS b`, ['first', 'second'])).toEqual({ a: 'first', q: '?', b: 'second' });
  });

  it('counts the rows a statement changed, and none when its condition fails', () => {
    db.exec('DELETE FROM probe');
    for (const name of ['a', 'b', 'c']) expect(db.run('INSERT INTO probe (name, at) VALUES (?, ?)', [name, 1]).changes).toBe(1);
    expect(db.run('UPDATE probe SET at = ? WHERE at = ?', [2, 1]).changes).toBe(3);
    expect(db.run('UPDATE probe SET at = ? WHERE name = ? AND at = ?', [3, 'a', 1]).changes).toBe(0);
    expect(db.run('INSERT INTO probe (name, at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', ['a', 9]).changes).toBe(0);
    expect(db.run('INSERT INTO probe (name, at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at', ['a', 9]).changes).toBe(
      1,
    );
    expect(db.get('SELECT at FROM probe WHERE name = ?', ['a'])).toEqual({ at: 9 });
    expect(db.get('SELECT at FROM probe WHERE name = ?', ['nobody'])).toBeUndefined();
    expect(db.get('INSERT INTO probe (name, at) VALUES (?, ?) RETURNING name, at', ['d', 4])).toEqual({ name: 'd', at: 4 });
  });

  it('returns BIGINT and COUNT as numbers and keeps money exact as text', () => {
    db.exec('DELETE FROM probe');
    const money = 2n ** 80n + 12_345n;
    db.run('INSERT INTO probe (name, at, money) VALUES (?, ?, ?)', ['max', Number.MAX_SAFE_INTEGER, money.toString()]);
    db.run('INSERT INTO probe (name, at, money) VALUES (?, ?, ?)', ['now', 1_796_300_000_123, null]);
    expect(db.get('SELECT at, money FROM probe WHERE name = ?', ['max'])).toEqual({ at: Number.MAX_SAFE_INTEGER, money: money.toString() });
    expect(db.all('SELECT name, at FROM probe WHERE at BETWEEN ? AND ?', [1_796_300_000_122n, 1_796_300_000_124])).toEqual([
      { name: 'now', at: 1_796_300_000_123 },
    ]);
    expect(db.get('SELECT COUNT(*) AS n, MAX(at) AS top FROM probe')).toEqual({ n: 2, top: Number.MAX_SAFE_INTEGER });
    expect(db.all('SELECT name FROM probe WHERE money IS NULL')).toEqual([{ name: 'now' }]);
  });

  it.runIf(onPostgres)('refuses a BIGINT beyond the safe integers rather than round it', () => {
    expect(() => db.get('SELECT 9007199254740993::bigint AS n')).toThrow(/beyond JavaScript's safe integers/);
  });

  it('keeps bytes as they were', () => {
    const bytes = Uint8Array.from([0, 1, 2, 0x5c, 0x27, 255]);
    db.run('INSERT INTO probe (name, bytes) VALUES (?, ?)', ['bytes', bytes]);
    const row = db.get('SELECT bytes FROM probe WHERE name = ?', ['bytes']) as { bytes: Buffer };
    expect(Buffer.isBuffer(row.bytes)).toBe(true);
    expect([...row.bytes]).toEqual([...bytes]);
  });

  it('commits a transaction as a whole, or nothing of it when it throws', () => {
    db.exec('DELETE FROM probe');
    expect(db.transaction(() => db.run('INSERT INTO probe (name) VALUES (?)', ['kept']).changes)).toBe(1);
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO probe (name) VALUES (?)', ['lost']);
        throw new Error('listener failed');
      }),
    ).toThrow('listener failed');
    expect(names()).toEqual(['kept']);
  });

  it('nests transactions as savepoints: an inner one that throws undoes only its own writes', () => {
    db.exec('DELETE FROM probe');
    db.transaction(() => {
      db.run('INSERT INTO probe (name) VALUES (?)', ['outer-before']);
      expect(() =>
        db.transaction(() => {
          db.run('INSERT INTO probe (name) VALUES (?)', ['inner']);
          db.transaction(() => db.run('INSERT INTO probe (name) VALUES (?)', ['innermost']));
          throw new Error('inner failed');
        }),
      ).toThrow('inner failed');
      db.transaction(() => db.run('INSERT INTO probe (name) VALUES (?)', ['inner-kept']));
      db.run('INSERT INTO probe (name) VALUES (?)', ['outer-after']);
    });
    expect(names()).toEqual(['inner-kept', 'outer-after', 'outer-before']);

    expect(() =>
      db.transaction(() => {
        db.transaction(() => db.run('INSERT INTO probe (name) VALUES (?)', ['released-then-lost']));
        throw new Error('outer failed');
      }),
    ).toThrow('outer failed');
    expect(names()).toEqual(['inner-kept', 'outer-after', 'outer-before']);
  });

  it('rolls back and stays usable after a statement fails inside a transaction', () => {
    db.exec('DELETE FROM probe');
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO probe (name) VALUES (?)', ['dup']);
        db.run('INSERT INTO probe (name) VALUES (?)', ['dup']);
      }),
    ).toThrow();
    expect(names()).toEqual([]);
    db.run('INSERT INTO probe (name) VALUES (?)', ['after']);
    expect(names()).toEqual(['after']);
  });

  it.runIf(onPostgres)('opens a new connection after the server dropped its own; only the statement in flight fails', async () => {
    const pid = (db.get('SELECT pg_backend_pid() AS pid') as { pid: number }).pid;
    const admin = new pg.Client({ connectionString: process.env.TESSERA_TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    expect(() => db.get('SELECT 1 AS ok')).toThrow();
    expect(db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
    expect((db.get('SELECT pg_backend_pid() AS pid') as { pid: number }).pid).not.toBe(pid);
    // Same schema, statements prepared again on the new connection.
    db.run('INSERT INTO probe (name) VALUES (?) ON CONFLICT (name) DO NOTHING', ['reconnected']);
    expect(db.get('SELECT name FROM probe WHERE name = ?', ['reconnected'])).toEqual({ name: 'reconnected' });
  });

  it('refuses an asynchronous transaction and keeps none of its writes', () => {
    db.exec('DELETE FROM probe');
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO probe (name) VALUES (?)', ['async']);
        return Promise.resolve();
      }),
    ).toThrow(/promise/);
    expect(names()).toEqual([]);
  });
});
