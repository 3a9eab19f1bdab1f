import { findIdentityProof, identityProofBits } from '@tessera/shared';
import type { WorkerHello } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { newIdentity } from '../../test/support/scripted-tab.ts';
import { openDatabase } from '../db/open-database.ts';
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

function control(options: { caught?: Map<string, number>; now?: () => number } = {}) {
  const db = openDatabase(':memory:');
  const caught = options.caught ?? new Map<string, number>();
  const invalidChecks = (key: string) => caught.get(key) ?? 0;
  return { db, admission: new AdmissionControl({ db, limits, trustProxy: '', invalidChecks, now: options.now }) };
}

describe('AdmissionControl', () => {
  it('checks the proof natively to the bit the tabs compute with WebCrypto', async () => {
    const { publicKey } = newIdentity();
    for (let nonce = 0; nonce < 64; nonce++) expect(proofBits(publicKey, nonce)).toBe(await identityProofBits(publicKey, nonce));
  });

  it('holds a place per admitted connection until it is released, once', async () => {
    const { admission } = control();
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
    const { db, admission } = control();
    const old = await hello();
    db.prepare(`INSERT INTO identities (public_key, stats, first_seen_at, last_seen_at) VALUES (?, '{}', 0, 0)`).run(old.publicKey);
    expect(admission.admit('a', old, client)).toEqual({ ok: true, newIdentity: false });
    expect(db.prepare('SELECT COUNT(*) AS n FROM admitted_identities').get()).toEqual({ n: 0 });
  });

  it('weighs keys caught since they were first seen here, as their reputation says now', async () => {
    const caught = new Map<string, number>();
    let now = Date.UTC(2026, 10, 1);
    const { admission } = control({ caught, now: () => now });
    const first = await hello();
    expect(admission.admit('a', first, client)).toMatchObject({ ok: true, newIdentity: true });
    admission.release('a');
    // Caught once: a third of the weight of 5 on top of its own birth; banned: all of it.
    caught.set(first.publicKey, 1);
    const onceCaught = admission.admit('b', await hello(), { address: '203.0.113.6', prefix: client.prefix });
    if (onceCaught.ok) throw new Error('admitted');
    expect(onceCaught.error.message).toContain('The network 203.0.113.0/24 has used its new identities: 2.7 of 3');
    caught.set(first.publicKey, 3);
    const banned = admission.admit('c', await hello(), { address: '203.0.113.7', prefix: client.prefix });
    if (banned.ok) throw new Error('admitted');
    expect(banned.error.message).toContain('has used its new identities: 6 of 3');
    now += 24 * HOUR;
    expect(admission.admit('d', await hello(), client)).toMatchObject({ ok: true, newIdentity: true });
  });

  it('asks a requester for no proof and records no identity for it', async () => {
    const { db, admission } = control();
    const { identityProof: _, ...withoutProof } = await hello('requester');
    expect(admission.admit('a', withoutProof, client)).toEqual({ ok: true, newIdentity: false });
    expect(db.prepare('SELECT COUNT(*) AS n FROM admitted_identities').get()).toEqual({ n: 0 });
  });
});
