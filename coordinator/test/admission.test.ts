import { TINY_GPT2_ID, admissionPolicySchema, findIdentityProof, rewardsViewSchema } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attempt as attemptTab, from, refusalOf } from './support/admission-attempts.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, newIdentity, type ScriptedTabOptions, type TabIdentity } from './support/scripted-tab.ts';
import { chatOutput } from './support/tiny-tokens.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { openTestDatabase } from './support/test-database.ts';

const track = closeAfterEach();
const attempt = (server: TestApp, options: Partial<ScriptedTabOptions> = {}) => attemptTab(server, track, options);

/** The real limits, tight enough to reach in a test; the proof costs milliseconds at 8 bits. */
const LIMITS = {
  identityProofBits: 8,
  tabsPerAddress: 8,
  tabsPerPrefix: 1000,
  newIdentitiesPerAddress: 1000,
  newIdentitiesPerPrefix: 1000,
};

const admittedRowsSchema = z.array(z.object({ public_key: z.string(), address: z.string(), prefix: z.string() }));

/** What the coordinator on `server` recorded, read from its database by a connection of the test's own. */
async function admittedRows(server: TestApp): Promise<z.infer<typeof admittedRowsSchema>> {
  const db = await openTestDatabase(server.dataDir);
  try {
    return admittedRowsSchema.parse(db.all('SELECT public_key, address, prefix FROM admitted_identities ORDER BY first_seen_at'));
  } finally {
    db.close();
  }
}

describe('admission: identities cost something', () => {
  it('publishes what a tab must prove and the limits', async () => {
    const server = track(await startTestApp(LIMITS));
    const policy = admissionPolicySchema.parse(await (await fetch(`${server.url}/api/v1/admission`)).json());
    expect(policy.identityProof).toEqual({ algorithm: 'sha256', domain: 'tessera:identity-proof:v1', bits: 8 });
    expect(policy.limits).toMatchObject({ tabsPerAddress: 8, newIdentityWindowMs: 3_600_000, ipv4PrefixLength: 24, ipv6PrefixLength: 64 });
  });

  it('30 tabs from one address: 8 are admitted, the rest refused until one leaves', async () => {
    const server = track(await startTestApp(LIMITS));
    const attempts = await Promise.all(Array.from({ length: 30 }, () => attempt(server)));
    const admitted = attempts.filter(({ outcome }) => outcome.joined);
    const refused = attempts.filter(({ outcome }) => !outcome.joined);
    expect(admitted).toHaveLength(8);
    expect(refused).toHaveLength(22);
    for (const { outcome } of refused) {
      expect(refusalOf(outcome)).toEqual({
        code: 'admission_refused',
        message: '8 tabs are already connected from address 127.0.0.1 (limit 8); retry when one of them leaves.',
        retryable: true,
      });
    }
    expect(server.app.tessera.registry.size).toBe(8);
    // Refused tabs left no identity behind: only the admitted keys are known.
    expect((await admittedRows(server)).map((row) => row.public_key).sort()).toEqual(
      admitted.map(({ tab }) => tab.identity.publicKey).sort(),
    );

    admitted[0]?.tab.close();
    await eventually(() => (server.app.tessera.registry.size === 7 ? true : undefined), 2000, 'a tab left');
    expect((await attempt(server)).outcome.joined).toBe(true);
    expect(refusalOf((await attempt(server)).outcome).code).toBe('admission_refused');
  });

  it('fresh keys beyond the budget are refused with a time to retry; known keys still join; a restart forgets nothing', async () => {
    const overrides = { ...LIMITS, tabsPerAddress: 100, newIdentitiesPerAddress: 5, newIdentityWindowMs: 1500 };
    const first = await startTestApp(overrides);
    const dataDir = first.dataDir;
    const identities: TabIdentity[] = [];
    for (let i = 0; i < 5; i++) {
      const { tab, outcome } = await attempt(first);
      expect(outcome.joined).toBe(true);
      identities.push(tab.identity);
      tab.close();
    }
    const sixth = refusalOf((await attempt(first)).outcome);
    expect(sixth.code).toBe('admission_refused');
    expect(sixth.message).toMatch(
      /^The address 127\.0\.0\.1 has used its new identities: 5 of 5 per 2 s; a new key from there is admitted again in \d s \(at 20\d\d-/,
    );
    // A volunteer who was here before is not held back by newcomers.
    expect((await attempt(first, { identity: identities[0] })).outcome.joined).toBe(true);
    await first.app.close();

    track({ close: () => rmSync(dataDir, { recursive: true, force: true }) });
    const second = track(await startTestApp(overrides, dataDir));
    expect(refusalOf((await attempt(second)).outcome).code).toBe('admission_refused');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await attempt(second)).outcome.joined).toBe(true);
    expect(await admittedRows(second)).toHaveLength(6);
  });

  it('a missing, borrowed or too weak proof is refused and changes nothing', async () => {
    const server = track(await startTestApp({ ...LIMITS, identityProofBits: 12, tabsPerAddress: 1, newIdentitiesPerAddress: 1 }));
    const identity = newIdentity();
    const missing = refusalOf((await attempt(server, { identity, identityProof: null })).outcome);
    expect(missing).toEqual({
      code: 'identity_proof_invalid',
      message: 'This tab sent no identity proof; the coordinator asks for 12 leading zero bits (GET /api/v1/admission). Reload the page.',
      retryable: false,
    });
    // A proof made for another key proves nothing about this one.
    const borrowed = await findIdentityProof(newIdentity().publicKey, 12);
    const refusedBorrowed = refusalOf((await attempt(server, { identity, identityProof: borrowed.nonce })).outcome);
    expect(refusedBorrowed.code).toBe('identity_proof_invalid');
    expect(refusedBorrowed.message).toMatch(/^The identity proof has \d+ leading zero bits for this key; the coordinator asks for 12/);
    let weak = await findIdentityProof(identity.publicKey, 4);
    while (weak.bits >= 12) weak = await findIdentityProof(identity.publicKey, 4, { from: weak.nonce + 1 });
    const refusedWeak = refusalOf((await attempt(server, { identity, identityProof: weak.nonce })).outcome);
    expect(refusedWeak.message).toContain(`The identity proof has ${weak.bits} leading zero bits for this key`);
    // A requester runs nothing and earns nothing: it needs no proof, but it takes a place.
    const requester = await attempt(server, { role: 'requester', models: [] });
    expect(requester.outcome.joined).toBe(true);
    requester.tab.close();
    await eventually(() => (server.app.tessera.registry.size === 0 ? true : undefined), 2000, 'the requester left');

    // Nothing was counted: the one place and the one new identity of this address are still free.
    expect(server.app.tessera.registry.size).toBe(0);
    expect(await admittedRows(server)).toEqual([]);
    expect((await attempt(server, { identity })).outcome.joined).toBe(true);
    expect((await admittedRows(server)).map((row) => row.public_key)).toEqual([identity.publicKey]);
  });

  it('counts per /24 behind a trusted proxy, and believes X-Forwarded-For from nobody else', async () => {
    const limits = { ...LIMITS, tabsPerAddress: 100, newIdentitiesPerAddress: 2, newIdentitiesPerPrefix: 4 };
    const proxied = track(await startTestApp({ ...limits, trustProxy: 'loopback' }));
    for (const address of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.3'])
      expect((await attempt(proxied, from(address))).outcome.joined).toBe(true);
    const perAddress = refusalOf((await attempt(proxied, from('203.0.113.1'))).outcome);
    expect(perAddress.message).toContain('The address 203.0.113.1 has used its new identities: 2 of 2');
    const perPrefix = refusalOf((await attempt(proxied, from('203.0.113.200'))).outcome);
    expect(perPrefix.message).toContain('The network 203.0.113.0/24 has used its new identities: 4 of 4');
    expect((await attempt(proxied, from('198.51.100.7'))).outcome.joined).toBe(true);
    expect((await admittedRows(proxied)).at(-1)).toMatchObject({ address: '198.51.100.7', prefix: '198.51.100.0/24' });
    // The HTTP API sees the same client: its rate limit is per forwarded address too.
    const limited = track(await startTestApp({ ...limits, trustProxy: 'loopback', rateLimitPerMinute: 2 }));
    const api = (address: string) => fetch(`${limited.url}/api/v1/network`, { headers: { 'x-forwarded-for': address } });
    expect([(await api('192.0.2.1')).status, (await api('192.0.2.1')).status, (await api('192.0.2.1')).status]).toEqual([200, 200, 429]);
    expect((await api('192.0.2.2')).status).toBe(200);

    // Without a trusted proxy the header is the client's own claim, and ignored.
    const direct = track(await startTestApp({ ...limits, trustProxy: '' }));
    const addresses = ['203.0.113.1', '198.51.100.1'];
    for (const address of addresses) expect((await attempt(direct, from(address))).outcome.joined).toBe(true);
    expect(refusalOf((await attempt(direct, from('192.0.2.99'))).outcome).message).toContain(
      'The address 127.0.0.1 has used its new identities',
    );
    expect(new Set((await admittedRows(direct)).map((row) => row.address))).toEqual(new Set(['127.0.0.1']));
  });

  it('a banned cheater makes its address and network slow to mint new keys', async () => {
    const server = track(
      await startTestApp({
        ...LIMITS,
        trustProxy: 'loopback',
        tabsPerAddress: 100,
        newIdentitiesPerAddress: 10,
        newIdentitiesPerPrefix: 12,
        bannedIdentityWeight: 12,
      }),
    );
    expect(
      (await attempt(server, { role: 'guard', onVerify: guardHonestly, maxConcurrentTasks: 4, ...from('192.0.2.50') })).outcome.joined,
    ).toBe(true);
    const lie = (assign: TaskAssign, tab: ScriptedTab) => tab.sendResult(assign.taskId, chatOutput('buy my token'));
    const { tab: cheater } = await attempt(server, { onAssign: lie, ...from('203.0.113.7') });
    for (let i = 0; i < 3; i++) {
      const pending = fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.60' },
        body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: `question ${i}` }], temperature: 0 }),
      });
      await eventually(
        () => (cheater.received.filter((message) => message.event === 'task:assign').length > i + 1 ? true : undefined),
        3000,
        'the cheater got the task',
      );
      // The caught task is run again by an honest tab from elsewhere.
      const { tab: honest } = await attempt(server, { onAssign: answerHonestly, ...from(`198.51.100.${i + 1}`) });
      expect((await pending).status).toBe(200);
      honest.close();
    }
    expect(server.app.tessera.reputation.tier(cheater.identity.publicKey)).toBe('banned');
    // Unpaid: its caught results earned nothing, and whatever it held in escrow was forfeited.
    const rewards = rewardsViewSchema.parse(await (await fetch(`${server.url}/api/v1/rewards/${cheater.identity.publicKey}`)).json());
    expect(rewards.balances).toMatchObject({ escrowed: '0', credited: '0' });

    const sameAddress = refusalOf((await attempt(server, from('203.0.113.7'))).outcome);
    expect(sameAddress.code).toBe('admission_refused');
    expect(sameAddress.message).toContain('The address 203.0.113.7 has used its new identities: 13 of 10');
    expect(sameAddress.message).toContain('1 key(s) first seen there were caught cheating: each counts up to 12 for 24.0 h');
    expect(refusalOf((await attempt(server, from('203.0.113.8'))).outcome).message).toContain('The network 203.0.113.0/24');
    expect((await attempt(server, from('198.51.100.9'))).outcome.joined).toBe(true);
    // The banned key itself may connect (it is known) but is given no work: reconnecting sheds nothing.
    expect((await attempt(server, { identity: cheater.identity, ...from('203.0.113.7') })).outcome.joined).toBe(true);
  });
});
