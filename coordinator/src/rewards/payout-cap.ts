/** One credit row waiting to be paid: a task's credit (or what is left of it) for one tab key. */
export interface PayableCredit {
  taskId: string;
  publicKey: string;
  amount: bigint;
}

/** What an account is paid this epoch, row by row, and what waits for a later one. */
export interface PayoutPlan {
  /** Rows paid in full. */
  paid: PayableCredit[];
  /** The row the cap fell inside: `paidAmount` of it is paid now, `carried` waits. */
  split: { credit: PayableCredit; paidAmount: bigint; carried: bigint } | null;
  /** Sum paid this epoch (≤ the cap). */
  total: bigint;
  /** Sum that waits for a later epoch: the split row's rest and every row after it. */
  carried: bigint;
}

/**
 * Pays an account's credit in the given order (oldest first) up to `cap` smallest units; `cap` null pays it
 * all. The row that crosses the cap is split, so the cap is met exactly and nothing is lost: everything
 * past it stays credited for the next epoch. Pure, for the ledger's epoch close.
 */
export function planPayout(credits: readonly PayableCredit[], cap: bigint | null): PayoutPlan {
  const plan: PayoutPlan = { paid: [], split: null, total: 0n, carried: 0n };
  for (const credit of credits) {
    if (plan.split !== null || (cap !== null && plan.total >= cap)) {
      plan.carried += credit.amount;
      continue;
    }
    const room = cap === null ? credit.amount : cap - plan.total;
    if (credit.amount <= room) {
      plan.paid.push(credit);
      plan.total += credit.amount;
      continue;
    }
    plan.split = { credit, paidAmount: room, carried: credit.amount - room };
    plan.total += room;
    plan.carried += credit.amount - room;
  }
  return plan;
}
