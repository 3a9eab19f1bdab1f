import { expect, it } from 'vitest';
import { INSTANCE_DEAD_AFTER_MS, type ScaleOut } from '../src/scale-out/scale-out.ts';
import { attempt as attemptTab, from, refusalOf } from './support/admission-attempts.ts';
import { closeAfterEach } from './support/cleanup.ts';
import type { ScriptedTabOptions } from './support/scripted-tab.ts';
import { testCluster } from './support/test-cluster.ts';
import { eventually, type TestApp } from './support/test-app.ts';

// Admission's counts with two instances of one network (PostgreSQL + Redis): the limits hold network-wide.
const track = closeAfterEach();
const attempt = (server: TestApp, options: Partial<ScriptedTabOptions> = {}) => attemptTab(server, track, options);
const cluster = testCluster('admission-cluster.test.ts', track);
const ADDRESS = '203.0.113.9';

/** Two coordinators of one network, both behind a trusted proxy on loopback. */
async function twoInstances(overrides: Record<string, unknown>): Promise<{ a: TestApp; b: TestApp }> {
  const [a, b] = await cluster.twoInstances({ trustProxy: 'loopback', ...overrides });
  return { a, b };
}

function scaleOutOf(app: TestApp): ScaleOut {
  const { scaleOut } = app.app.tessera;
  if (scaleOut === undefined) throw new Error('the app runs alone');
  return scaleOut;
}

const joined = async (app: TestApp, address = ADDRESS) => (await attempt(app, from(address))).outcome.joined;

cluster.describe('admission across two instances of one network', () => {
  it('tabs per address are counted network-wide; a place freed on one instance is taken on the other', async () => {
    const { a, b } = await twoInstances({ tabsPerAddress: 4 });
    const tabs = [];
    for (const app of [a, b, a, b]) {
      const { tab, outcome } = await attempt(app, from(ADDRESS));
      expect(outcome.joined).toBe(true);
      tabs.push(tab);
    }
    const refusal = {
      code: 'admission_refused',
      message: `4 tabs are already connected from address ${ADDRESS} (limit 4); retry when one of them leaves.`,
      retryable: true,
    };
    expect(refusalOf((await attempt(a, from(ADDRESS))).outcome)).toEqual(refusal);
    expect(refusalOf((await attempt(b, from(ADDRESS))).outcome)).toEqual(refusal);
    // Another address of the same network is not held back by this one.
    expect(await joined(b, '203.0.113.10')).toBe(true);

    tabs[0]?.close();
    await eventually(() => (a.app.tessera.registry.size === 1 ? true : undefined), 3000, 'the tab left A');
    expect(await joined(b)).toBe(true);
    expect(refusalOf((await attempt(a, from(ADDRESS))).outcome).code).toBe('admission_refused');
  });

  it('many hellos at once on both instances never take more than the limit', async () => {
    const { a, b } = await twoInstances({ tabsPerAddress: 6 });
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(i % 2 === 0 ? a : b, from(ADDRESS))));
    expect(attempts.filter(({ outcome }) => outcome.joined)).toHaveLength(6);
    expect(a.app.tessera.registry.size + b.app.tessera.registry.size).toBe(6);
  });

  it("a dead instance's tabs stop holding places once it has been silent for the dead-after window", async () => {
    const { a, b } = await twoInstances({ tabsPerAddress: 2 });
    expect(await joined(a)).toBe(true);
    expect(await joined(a)).toBe(true);
    expect(refusalOf((await attempt(b, from(ADDRESS))).outcome).code).toBe('admission_refused');
    // A freezes: its heartbeats stop, the last one now; its tabs stay connected and its rows stay written.
    scaleOutOf(a).stop();
    const lastBeat = Date.now();
    await cluster.query(`INSERT INTO {schema}.instances (id, started_at, last_seen_at) VALUES ($1, $2, $2)`, [
      a.app.tessera.cluster?.instanceId,
      lastBeat,
    ]);
    expect(refusalOf((await attempt(b, from(ADDRESS))).outcome).code).toBe('admission_refused');
    await eventually(async () => ((await joined(b)) ? true : undefined), INSTANCE_DEAD_AFTER_MS + 5000, 'a place on B');
    expect(Date.now() - lastBeat).toBeGreaterThanOrEqual(INSTANCE_DEAD_AFTER_MS);
  });

  it("a new identity recorded on one instance counts against the address's budget on the other at its next hello", async () => {
    const { a, b } = await twoInstances({ tabsPerAddress: 100, newIdentitiesPerAddress: 2 });
    // B has seen the address first: were its births kept from that hello, it would never see A's.
    const { tab: known } = await attempt(b, from(ADDRESS));
    expect(await joined(a)).toBe(true);
    const refused = refusalOf((await attempt(b, from(ADDRESS))).outcome);
    expect(refused.code).toBe('admission_refused');
    expect(refused.message).toContain(`The address ${ADDRESS} has used its new identities: 2 of 2`);
    expect(refusalOf((await attempt(a, from(ADDRESS))).outcome).code).toBe('admission_refused');
    // A key the network knows still joins, on either instance.
    expect((await attempt(a, { identity: known.identity, ...from(ADDRESS) })).outcome.joined).toBe(true);
  });
});
