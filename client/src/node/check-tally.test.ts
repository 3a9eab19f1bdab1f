import { TINY_GPT2_ID, jobIdSchema } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { CheckTally } from './check-tally.ts';
import type { GuardCheck } from './guard-runner.ts';

function check(patch: Partial<GuardCheck> = {}): GuardCheck {
  const jobId = jobIdSchema.parse(crypto.randomUUID());
  return { jobId, kind: 'chat', model: TINY_GPT2_ID, status: 'running', startedAt: 0, units: 3, totalMs: null, reason: null, ...patch };
}

describe('CheckTally', () => {
  it('replaces a running check by its outcome and counts every outcome once', () => {
    const tally = new CheckTally();
    const first = check();
    tally.record(first);
    expect(tally.totals).toEqual({ valid: 0, invalid: 0, errors: 0, cancelled: 0, refused: 0 });
    tally.record({ ...first, status: 'valid', totalMs: 4 });
    for (const status of ['invalid', 'invalid', 'error', 'cancelled', 'refused'] as const) tally.record(check({ status }));
    expect(tally.recent).toHaveLength(6);
    expect(tally.recent.at(-1)).toMatchObject({ jobId: first.jobId, status: 'valid' });
    expect(tally.totals).toEqual({ valid: 1, invalid: 2, errors: 1, cancelled: 1, refused: 1 });
  });
});
