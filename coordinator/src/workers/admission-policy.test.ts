import { describe, expect, it } from 'vitest';
import { budgetFreesAt, budgetUsed, decideAdmission, type AdmissionLimits, type AdmissionRequest } from './admission-policy.ts';

const HOUR = 3_600_000;
const limits: AdmissionLimits = {
  identityProofBits: 12,
  tabsPerAddress: 4,
  tabsPerPrefix: 6,
  newIdentitiesPerAddress: 3,
  newIdentitiesPerPrefix: 5,
  newIdentityWindowMs: HOUR,
  bannedIdentityWeight: 4,
  bannedIdentityMemoryMs: 24 * HOUR,
};
const now = Date.UTC(2026, 10, 1, 12);
const none = { recent: [], caught: [] };

function request(change: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    role: 'worker',
    proofBits: 12,
    knownKey: false,
    client: { address: '203.0.113.5', prefix: '203.0.113.0/24' },
    connected: { address: 0, prefix: 0 },
    births: { address: none, prefix: none },
    now,
    ...change,
  };
}

describe('decideAdmission', () => {
  it('admits a new identity with a proof and room, and says it is new', () => {
    expect(decideAdmission(request(), limits)).toEqual({ admit: true, newIdentity: true });
    expect(decideAdmission(request({ knownKey: true }), limits)).toEqual({ admit: true, newIdentity: false });
  });

  it('refuses workers and guards without enough proof, not requesters, and asks none at 0 bits', () => {
    const missing = decideAdmission(request({ proofBits: null }), limits);
    expect(missing).toMatchObject({ admit: false, code: 'identity_proof_invalid', reason: 'identity_proof_missing', retryAt: null });
    const weak = decideAdmission(request({ role: 'guard', proofBits: 11 }), limits);
    expect(weak).toMatchObject({ admit: false, code: 'identity_proof_invalid', reason: 'identity_proof_insufficient' });
    if (!weak.admit) expect(weak.message).toContain('11 leading zero bits for this key; the coordinator asks for 12');
    // Even a known key proves its work: the proof is part of the identity, and checking it is one hash.
    expect(decideAdmission(request({ proofBits: null, knownKey: true }), limits)).toMatchObject({ reason: 'identity_proof_missing' });
    expect(decideAdmission(request({ role: 'requester', proofBits: null, births: null }), limits)).toEqual({
      admit: true,
      newIdentity: false,
    });
    expect(decideAdmission(request({ proofBits: null }), { ...limits, identityProofBits: 0 })).toEqual({ admit: true, newIdentity: true });
  });

  it('holds the tab limits per address and per prefix for every role and every key', () => {
    const full = decideAdmission(request({ knownKey: true, connected: { address: 4, prefix: 4 } }), limits);
    expect(full).toMatchObject({ admit: false, code: 'admission_refused', reason: 'tabs_per_address', retryAt: null });
    if (!full.admit)
      expect(full.message).toBe('4 tabs are already connected from address 203.0.113.5 (limit 4); retry when one of them leaves.');
    expect(decideAdmission(request({ role: 'requester', connected: { address: 2, prefix: 6 } }), limits)).toMatchObject({
      reason: 'tabs_per_prefix',
    });
    expect(decideAdmission(request({ connected: { address: 3, prefix: 5 } }), limits)).toMatchObject({ admit: true });
  });

  it('holds the new-identity budget of the address, and says when it frees', () => {
    const births = { recent: [now - 50 * 60_000, now - 20 * 60_000, now - 1000], caught: [] };
    const refused = decideAdmission(request({ births: { address: births, prefix: births } }), limits);
    expect(refused).toMatchObject({
      admit: false,
      code: 'admission_refused',
      reason: 'new_identities_per_address',
      retryAt: now + 10 * 60_000,
    });
    if (!refused.admit) {
      expect(refused.message).toContain('The address 203.0.113.5 has used its new identities: 3 of 3 per 60 min');
      expect(refused.message).toContain('admitted again in 10 min (at 2026-11-01T12:10:00.000Z)');
      expect(refused.message).toContain('already knows is not held back');
    }
    // The same budget does not hold back a key seen before.
    expect(decideAdmission(request({ knownKey: true, births: null }), limits)).toMatchObject({ admit: true });
  });

  it('holds the budget of the prefix across its addresses', () => {
    const prefix = { recent: [5, 4, 3, 2, 1].map((minutes) => now - minutes * 60_000), caught: [] };
    expect(decideAdmission(request({ births: { address: none, prefix } }), limits)).toMatchObject({
      reason: 'new_identities_per_prefix',
      retryAt: now - 5 * 60_000 + HOUR,
    });
  });

  it('weighs caught keys against where they were first seen for the ban memory: a banned one fully, a caught one its share', () => {
    const births = { recent: [], caught: [{ at: now - 3 * HOUR, share: 1 }] };
    const refused = decideAdmission(request({ births: { address: births, prefix: none } }), limits);
    expect(refused).toMatchObject({ reason: 'new_identities_per_address', retryAt: now + 21 * HOUR });
    if (!refused.admit) expect(refused.message).toContain('1 key(s) first seen there were caught cheating: each counts up to 4 for 24.0 h');
    expect(
      decideAdmission(request({ births: { address: births, prefix: none } }), { ...limits, newIdentitiesPerAddress: 5 }),
    ).toMatchObject({
      admit: true,
    });
    // Retired after two catches, short of a ban: two thirds of the weight, so retiring early does not escape it.
    const retired = { recent: [now - 1000], caught: [{ at: now - 1000, share: 2 / 3 }] };
    expect(budgetUsed(retired, limits, now)).toBeCloseTo(1 + 8 / 3);
    const refusedRetired = decideAdmission(request({ births: { address: retired, prefix: none } }), limits);
    if (refusedRetired.admit) throw new Error('admitted');
    expect(refusedRetired.message).toContain('has used its new identities: 3.7 of 3');
  });

  it('admits no new identity at all under a limit of 0', () => {
    const refused = decideAdmission(request(), { ...limits, newIdentitiesPerPrefix: 0 });
    expect(refused).toMatchObject({ reason: 'new_identities_per_prefix', retryAt: null });
    if (!refused.admit) expect(refused.message).toContain('this coordinator admits no new identities from there');
  });
});

describe('budgetFreesAt', () => {
  it('walks the counted identities as they age out, caught ones after the ban memory', () => {
    const births = { recent: [now - 30 * 60_000, now - 10 * 60_000], caught: [{ at: now - 10 * 60_000, share: 1 }] };
    expect(budgetUsed(births, limits, now)).toBe(6);
    // 6 used; one more fits under 5 once 2 are gone: both recent ones age out first, then the ban.
    expect(budgetFreesAt(births, 5, limits, now)).toBe(now + 50 * 60_000);
    expect(budgetFreesAt(births, 3, limits, now)).toBe(now - 10 * 60_000 + 24 * HOUR);
    expect(budgetFreesAt(births, 10, limits, now)).toBe(now);
    expect(budgetFreesAt({ recent: [], caught: [] }, 0, limits, now)).toBeNull();
  });
});
