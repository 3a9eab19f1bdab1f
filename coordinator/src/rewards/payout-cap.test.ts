import { describe, expect, it } from 'vitest';
import { planPayout, type PayableCredit } from './payout-cap.ts';

const row = (taskId: string, amount: bigint, publicKey = 'k1'): PayableCredit => ({ taskId, publicKey, amount });

describe('planPayout', () => {
  it('pays everything when uncapped', () => {
    const plan = planPayout([row('a', 5n), row('b', 7n)], null);
    expect(plan).toEqual({ paid: [row('a', 5n), row('b', 7n)], split: null, total: 12n, carried: 0n });
  });

  it('meets the cap exactly by splitting the row that crosses it, and carries the rest in order', () => {
    const plan = planPayout([row('a', 5n), row('b', 7n), row('c', 3n, 'k2')], 8n);
    expect(plan.paid).toEqual([row('a', 5n)]);
    expect(plan.split).toEqual({ credit: row('b', 7n), paidAmount: 3n, carried: 4n });
    expect(plan.total).toBe(8n);
    expect(plan.carried).toBe(7n);
    expect(plan.total + plan.carried).toBe(15n);
  });

  it('splits nothing when a row ends exactly at the cap', () => {
    const plan = planPayout([row('a', 5n), row('b', 3n), row('c', 1n)], 8n);
    expect(plan).toMatchObject({ paid: [row('a', 5n), row('b', 3n)], split: null, total: 8n, carried: 1n });
  });

  it('splits a single row larger than the cap, so a big task is paid over several epochs', () => {
    const plan = planPayout([row('a', 25n)], 10n);
    expect(plan).toMatchObject({ paid: [], split: { paidAmount: 10n, carried: 15n }, total: 10n, carried: 15n });
    const next = planPayout([row('a~carry1', 15n)], 10n);
    expect(next).toMatchObject({ total: 10n, carried: 5n });
  });

  it('pays nothing and carries nothing for no credit', () => {
    expect(planPayout([], 10n)).toEqual({ paid: [], split: null, total: 0n, carried: 0n });
  });
});
