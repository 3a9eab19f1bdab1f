import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseUrl } from '../../test/support/test-database.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import { InstanceDirectory } from '../scale-out/instance-directory.ts';
import { AdmissionBusyError, SharedConnectionCounts } from './shared-connection-counts.ts';

// Runs in the coordinator-postgres project only (`*.postgres.test.ts`): the counts live in PostgreSQL.
const LIVE_MS = 5000;
const home = { address: '198.51.100.7', prefix: '198.51.100.0/24' };
const neighbour = { address: '198.51.100.8', prefix: '198.51.100.0/24' };

const opened: SqlDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));

/** Two connections to one fresh schema, as two instances of one network have. */
async function twoConnections(): Promise<{ dataDir: string; a: SqlDatabase; b: SqlDatabase }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-counts-'));
  const a = await openTestDatabase(dataDir);
  const b = await openTestDatabase(dataDir);
  opened.push(a, b);
  return { dataDir, a, b };
}

function instance(db: SqlDatabase, now: () => number, lockTimeoutMs?: number) {
  const id = randomUUID();
  new InstanceDirectory(db).beat(id, now());
  return { id, counts: new SharedConnectionCounts({ db, instanceId: id, liveWithinMs: LIVE_MS, now, lockTimeoutMs }) };
}

/** Takes a place when fewer than `limit` tabs are connected from the address, as admission's tab limit does. */
const upTo = (limit: number) => (connected: { address: number }) => ({
  hold: connected.address < limit,
  outcome: connected.address < limit,
});

describe('SharedConnectionCounts', () => {
  it('counts the tabs of every live instance, and a refusal or a release frees what it should', async () => {
    const { a, b } = await twoConnections();
    const now = () => 1_000_000;
    const first = instance(a, now);
    const second = instance(b, now);
    expect(first.counts.admit('x', home, upTo(3))).toBe(true);
    expect(second.counts.admit('x', home, upTo(3))).toBe(true);
    expect(second.counts.admit('y', neighbour, upTo(3))).toBe(true);
    expect(first.counts.connected(home)).toEqual({ address: 2, prefix: 3 });
    expect(second.counts.admit('z', home, upTo(2))).toBe(false);
    expect(second.counts.holds('z')).toBe(false);
    expect(first.counts.holds('x')).toBe(true);
    // Connection ids are per instance: releasing A's `x` leaves B's alone.
    first.counts.release('x');
    first.counts.release('x');
    first.counts.release('never admitted');
    expect(second.counts.connected(home)).toEqual({ address: 1, prefix: 2 });
    expect(second.counts.admit('z', home, upTo(2))).toBe(true);
  });

  it('what decide wrote is rolled back with a refusal that throws, and the place is not held', async () => {
    const { a } = await twoConnections();
    const { counts } = instance(a, () => 1_000_000);
    expect(() =>
      counts.admit('x', home, () => {
        a.run(`INSERT INTO admitted_identities (public_key, address, prefix, first_seen_at) VALUES ('k', ?, ?, 1)`, [
          home.address,
          home.prefix,
        ]);
        throw new Error('decided badly');
      }),
    ).toThrow('decided badly');
    expect(a.get('SELECT count(*)::int AS n FROM admitted_identities')).toEqual({ n: 0 });
    expect(counts.holds('x')).toBe(false);
    expect(counts.connected(home)).toEqual({ address: 0, prefix: 0 });
  });

  it("a dead instance's tabs stop holding places after the window; its own are always counted", async () => {
    const { a, b } = await twoConnections();
    let now = 1_000_000;
    const clock = () => now;
    const dying = instance(a, clock);
    const living = instance(b, clock);
    expect(dying.counts.admit('x', home, upTo(2))).toBe(true);
    expect(dying.counts.admit('y', home, upTo(2))).toBe(true);
    now += LIVE_MS;
    // The other instance's last heartbeat is exactly the window old: still live.
    expect(living.counts.admit('z', home, upTo(2))).toBe(false);
    now += 1;
    expect(living.counts.connected(home)).toEqual({ address: 0, prefix: 0 });
    expect(living.counts.admit('z', home, upTo(2))).toBe(true);
    // The silent instance still counts its own tabs (its heartbeat may only be late), and the living one's.
    new InstanceDirectory(b).beat(living.id, now);
    expect(dying.counts.connected(home)).toEqual({ address: 3, prefix: 3 });
  });

  it("deletes the rows of instances the leader forgot, not a live one's", async () => {
    const { a, b } = await twoConnections();
    let now = 1_000_000;
    const forgotten = instance(a, () => now);
    const live = instance(b, () => now);
    forgotten.counts.admit('x', home, upTo(5));
    live.counts.admit('x', home, upTo(5));
    new InstanceDirectory(a).forget(forgotten.id);
    now += 60_000;
    new InstanceDirectory(b).beat(live.id, now);
    const rows = () => b.all('SELECT instance_id FROM admitted_connections ORDER BY instance_id');
    expect(rows()).toHaveLength(2);
    live.counts.admit('y', neighbour, upTo(5));
    expect(rows()).toEqual([{ instance_id: live.id }, { instance_id: live.id }]);
  });

  it('a tab that leaves while the database is away frees its place before the next hello is counted', async () => {
    const { a } = await twoConnections();
    let away = false;
    const flaky: SqlDatabase = {
      dialect: a.dialect,
      run: (sql, params) => {
        if (away) throw new Error('connection to the server was lost');
        return a.run(sql, params);
      },
      get: (sql, params) => a.get(sql, params),
      all: (sql, params) => a.all(sql, params),
      exec: (sql) => a.exec(sql),
      transaction: (work) => a.transaction(work),
      close: () => a.close(),
    };
    const id = randomUUID();
    new InstanceDirectory(a).beat(id, 1_000_000);
    const counts = new SharedConnectionCounts({ db: flaky, instanceId: id, liveWithinMs: LIVE_MS, now: () => 1_000_000 });
    expect(counts.admit('x', home, upTo(1))).toBe(true);
    away = true;
    expect(() => counts.release('x')).not.toThrow();
    away = false;
    expect(counts.connected(home)).toEqual({ address: 1, prefix: 1 });
    expect(counts.admit('y', home, upTo(1))).toBe(true);
    expect(counts.connected(home)).toEqual({ address: 1, prefix: 1 });
  });

  it('two instances deciding the last place at once: the second waits for the first, and never takes it too', async () => {
    const { a, b } = await twoConnections();
    const now = () => 1_000_000;
    const first = instance(a, now);
    const second = instance(b, now, 200);
    let during: unknown;
    // B's hello arrives while A's is between its count and its write: without the lock both would see 0 of 1.
    const admitted = first.counts.admit('x', home, (connected) => {
      try {
        during = second.counts.admit('y', neighbour, upTo(1));
      } catch (error) {
        during = error;
      }
      return upTo(1)(connected);
    });
    expect(admitted).toBe(true);
    expect(during).toBeInstanceOf(AdmissionBusyError);
    expect(second.counts.admit('y', home, upTo(1))).toBe(false);
    expect(second.counts.connected(home)).toEqual({ address: 1, prefix: 1 });
  });

  it('hellos from one prefix wait on each other, on any instance: a held lock turns the next away', async () => {
    const { dataDir, a } = await twoConnections();
    const { counts } = instance(a, () => 1_000_000, 200);
    // A third connection, in the middle of admitting a hello from the same prefix (the same statement).
    const other = new pg.Client({ connectionString: await testDatabaseUrl(dataDir) });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM pg_advisory_xact_lock(${0x7e55_ad01}, hashtext(current_schema() || ' ' || $1))`, [home.prefix]);
      const started = Date.now();
      expect(() => counts.admit('x', neighbour, upTo(5))).toThrow(AdmissionBusyError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      // Another prefix does not wait.
      expect(counts.admit('y', { address: '192.0.2.1', prefix: '192.0.2.0/24' }, upTo(5))).toBe(true);
      await other.query('COMMIT');
      expect(counts.admit('x', neighbour, upTo(5))).toBe(true);
    } finally {
      await other.end();
    }
  });
});
