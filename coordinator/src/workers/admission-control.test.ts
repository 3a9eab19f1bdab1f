import { findIdentityProof, identityProofBits } from '@tessera/shared';
import type { WorkerHello } from '@tessera/shared';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { newIdentity } from '../../test/support/scripted-tab.ts';
import { onPostgres, openTestDatabase, testDatabaseUrl } from '../../test/support/test-database.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { InstanceDirectory } from '../scale-out/instance-directory.ts';
import { AdmissionControl, proofBits } from './admission-control.ts';
import type { AdmissionLimits } from './admission-policy.ts';

const HOUR = 3_600_000;
const limits: AdmissionLimits = {
  identityProofBits: 6,
  tabsPerAddress: 2,
  tabsPerPrefix: 3,
  newIdentitiesPerAddress: 2,
  newIdentitiesPerPrefix: 3,
  newIdentityWindowMs: HOUR,
  bannedIdentityWeight: 5,
  bannedIdentityMemoryMs: 24 * HOUR,
};
const client = { address: '203.0.113.5', prefix: '203.0.113.0/24' };

async function hello(role: WorkerHello['role'] = 'worker', publicKey = newIdentity().publicKey): Promise<WorkerHello> {
  const { nonce } = await findIdentityProof(publicKey, limits.identityProofBits);
  return {
    protocolVersion: 2,
    role,
    publicKey,
    identityProof: nonce,
    capabilities: {
      userAgent: 'test',
      hardwareConcurrency: 1,
      gpu: null,
      backends: ['wasm'],
      engines: ['transformers'],
      models: [],
      benchmarkTokensPerSecond: null,
      maxConcurrentTasks: 1,
    },
  };
}

const opened: SqlDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));

/** Admission over a fresh database: SQLite, or PostgreSQL in the coordinator-postgres project. */
async function control(options: { now?: () => number } = {}) {
  const db = await openTestDatabase();
  opened.push(db);
  const events = new CoordinatorEventBus();
  return { db, events, admission: new AdmissionControl({ db, limits, trustProxy: '', events, now: options.now }) };
}

describe('AdmissionControl', () => {
  it('checks the proof natively to the bit the tabs compute with WebCrypto', async () => {
    const { publicKey } = newIdentity();
    for (let nonce = 0; nonce < 64; nonce++) expect(proofBits(publicKey, nonce)).toBe(await identityProofBits(publicKey, nonce));
  });

  it('holds a place per admitted connection until it is released, once', async () => {
    const { admission } = await control();
    const first = await hello();
    expect(admission.admit('a', first, client)).toEqual({ ok: true, newIdentity: true });
    expect(admission.admit('a', first, client)).toMatchObject({ ok: false, error: { code: 'protocol_violation' } });
    expect(admission.admit('b', first, client)).toEqual({ ok: true, newIdentity: false });
    expect(admission.connected(client)).toEqual({ address: 2, prefix: 2 });
    expect(admission.admit('c', await hello(), client)).toMatchObject({ ok: false, error: { code: 'admission_refused' } });
    admission.release('a');
    admission.release('a');
    admission.release('never admitted');
    expect(admission.connected(client)).toEqual({ address: 1, prefix: 1 });
    admission.release('b');
    expect(admission.connected(client)).toEqual({ address: 0, prefix: 0 });
  });

  it('knows keys with a reputation record from before admission existed', async () => {
    const { db, admission } = await control();
    const old = await hello();
    db.run(`INSERT INTO identities (public_key, stats, first_seen_at, last_seen_at) VALUES (?, '{}', 0, 0)`, [old.publicKey]);
    expect(admission.admit('a', old, client)).toEqual({ ok: true, newIdentity: false });
    expect(db.get('SELECT COUNT(*) AS n FROM admitted_identities')).toEqual({ n: 0 });
  });

  it('weighs keys caught since they were first seen here, a third per catch, as reputation counts them', async () => {
    let now = Date.UTC(2026, 10, 1);
    const { db, events, admission } = await control({ now: () => now });
    const first = await hello();
    expect(admission.admit('a', first, client)).toMatchObject({ ok: true, newIdentity: true });
    admission.release('a');
    // Caught once (by a guard, or the coordinator's own count): a third of the weight of 5 on top of its birth.
    events.emit('verify:checked', { workerKey: first.publicKey, verdict: 'invalid', reason: 'made-up tokens' });
    events.emit('verify:checked', { workerKey: first.publicKey, verdict: 'valid', reason: 'fine' });
    const onceCaught = admission.admit('b', await hello(), { address: '203.0.113.6', prefix: client.prefix });
    if (onceCaught.ok) throw new Error('admitted');
    expect(onceCaught.error.message).toContain('The network 203.0.113.0/24 has used its new identities: 2.7 of 3');
    // A guard overruled counts like a caught worker; three catches weigh all of it (a ban).
    events.emit('guard:penalized', { guardKey: first.publicKey, why: 'overruled by a second guard' });
    events.emit('verify:checked', { workerKey: first.publicKey, verdict: 'invalid', reason: 'again' });
    events.emit('verify:checked', { workerKey: first.publicKey, verdict: 'invalid', reason: 'once more' });
    expect(db.get('SELECT caught FROM admitted_identities WHERE public_key = ?', [first.publicKey])).toEqual({ caught: 4 });
    const banned = admission.admit('c', await hello(), { address: '203.0.113.7', prefix: client.prefix });
    if (banned.ok) throw new Error('admitted');
    expect(banned.error.message).toContain('has used its new identities: 6 of 3');
    now += 24 * HOUR;
    expect(admission.admit('d', await hello(), client)).toMatchObject({ ok: true, newIdentity: true });
  });

  it('keeps counting new keys after a restart (read back from the database), until they leave the window', async () => {
    let now = Date.UTC(2026, 10, 1);
    const { db, events } = await control();
    const before = new AdmissionControl({ db, limits, trustProxy: '', events, now: () => now });
    expect(before.admit('a', await hello(), client)).toMatchObject({ ok: true, newIdentity: true });
    expect(before.admit('b', await hello(), { address: '203.0.113.9', prefix: client.prefix })).toMatchObject({ ok: true });
    // A new process: the births are read back from the database, so the network's budget is as it was.
    const after = new AdmissionControl({ db, limits, trustProxy: '', events, now: () => now });
    expect(after.admit('c', await hello(), { address: '203.0.113.10', prefix: client.prefix })).toMatchObject({ ok: true });
    expect(after.admit('d', await hello(), { address: '203.0.113.11', prefix: client.prefix })).toMatchObject({ ok: false });
    now += HOUR;
    expect(after.admit('e', await hello(), { address: '203.0.113.11', prefix: client.prefix })).toMatchObject({ ok: true });
  });

  it('asks a requester for no proof and records no identity for it', async () => {
    const { db, admission } = await control();
    const { identityProof: _, ...withoutProof } = await hello('requester');
    expect(admission.admit('a', withoutProof, client)).toEqual({ ok: true, newIdentity: false });
    expect(db.get('SELECT COUNT(*) AS n FROM admitted_identities')).toEqual({ n: 0 });
  });

  it.runIf(onPostgres)('shared: a hello that cannot take its prefix in time is refused as retryable, and holds nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-admission-'));
    const db = await openTestDatabase(dataDir);
    opened.push(db);
    new InstanceDirectory(db).beat('here', Date.now());
    const shared = { instanceId: 'here', liveWithinMs: 5000, lockTimeoutMs: 100 };
    const admission = new AdmissionControl({ db, limits, trustProxy: '', events: new CoordinatorEventBus(), shared });
    const other = new pg.Client({ connectionString: await testDatabaseUrl(dataDir) });
    await other.connect();
    try {
      // Another instance in the middle of a hello from the same network, and frozen there.
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM pg_advisory_xact_lock(${0x7e55_ad01}, hashtext(current_schema() || ' ' || $1))`, [client.prefix]);
      const busy = await hello();
      expect(admission.admit('a', busy, client)).toMatchObject({ ok: false, error: { code: 'admission_refused', retryable: true } });
      expect(admission.connected(client)).toEqual({ address: 0, prefix: 0 });
      await other.query('ROLLBACK');
      expect(admission.admit('a', busy, client)).toEqual({ ok: true, newIdentity: true });
    } finally {
      await other.end();
    }
  });
});
