import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { creditStatusSchema } from '@tessera/shared';
import type { ClaimableEpoch, CreditEntry, CreditStatus, EpochView } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase, SqlValue } from '../db/sql-database.ts';
import type { AccountDirectory, EvmAddress, LinkedAccount } from './account-directory.ts';
import { planPayout, type PayableCredit, type PayoutPlan } from './payout-cap.ts';

const epochRowSchema = z.object({
  epoch: z.number().int(),
  started_at: z.number().int(),
  ends_at: z.number().int(),
  status: z.enum(['open', 'closed', 'posted']),
  root: z.string().nullable(),
  total: z.string().nullable(),
  tx_hash: z.string().nullable(),
  hcs_sequence: z.string().nullable(),
});
type EpochRow = z.infer<typeof epochRowSchema>;

const creditRowSchema = z.object({
  task_id: z.string(),
  model: z.string(),
  epoch: z.number().int(),
  units: z.string(),
  amount: z.string(),
  status: creditStatusSchema,
  created_at: z.number().int(),
});

const claimRowSchema = z.object({
  epoch: z.number().int(),
  account: z.string(),
  account_id: z.string(),
  amount: z.string(),
  proof: z.string(),
  claimed: z.number().int(),
});

const sumRowSchema = z.object({ status: creditStatusSchema, amount: z.string() });

const payableRowSchema = z.object({
  task_id: z.string(),
  public_key: z.string(),
  model: z.string(),
  epoch: z.number().int(),
  amount: z.string(),
  created_at: z.number().int(),
});
type PayableRow = z.infer<typeof payableRowSchema>;

/**
 * Suffix of the ledger row that pays a site its share of a task's credit (`<task>~site`, src/sites/): it is
 * held in escrow and forfeited together with the visitor's row of the same task.
 */
export const SITE_SHARE_SUFFIX = '~site';

/** New accounts are paid at most `amount` per epoch until they were paid in `epochs` epochs (their history). */
export interface NewAccountCap {
  /** Smallest units; 0 means no cap. */
  amount: bigint;
  epochs: number;
}

export interface ClosedEpoch {
  epoch: number;
  root: `0x${string}` | null;
  total: bigint;
  accounts: number;
  /** Credit of linked accounts over their new-account cap: still credited, paid by a later epoch. */
  carried: bigint;
}

export interface Balances {
  escrowed: bigint;
  credited: bigint;
  claimable: bigint;
  claimed: bigint;
  slashed: bigint;
}

/**
 * Credit for verified work, in the coordinator's database: every amount a bigint in the token's
 * smallest unit, stored as a decimal string. A newcomer's credit waits in escrow until a guard confirms
 * its work or the epoch closes, and is slashed if the tab is caught. Closing an epoch folds each linked
 * account's credit into one Merkle leaf `(evm address, amount)`; the root goes on chain and each claim
 * keeps its proof. Credit of identities with no linked wallet waits for a later epoch, and so does what a
 * new account earned beyond its per-epoch cap (`NewAccountCap`): it stays credited, never lost.
 */
export class Ledger {
  readonly #db: SqlDatabase;
  readonly #epochLengthMs: number;
  readonly #now: () => number;
  readonly #newAccountCap: NewAccountCap | undefined;
  /**
   * The open epoch, read once while it runs. Once it has ended it is read again until the next one is open:
   * with several instances (scale-out) another one closes it, and this one must credit the next.
   */
  #open: EpochRow | undefined;

  constructor(db: SqlDatabase, options: { epochLengthMs: number; now?: () => number; newAccountCap?: NewAccountCap }) {
    this.#db = db;
    this.#epochLengthMs = options.epochLengthMs;
    this.#now = options.now ?? Date.now;
    this.#newAccountCap = options.newAccountCap;
  }

  /** The open epoch, opening the first one on a fresh database. */
  currentEpoch(): EpochRow {
    if (this.#open !== undefined && this.#open.ends_at > this.#now()) return this.#open;
    const row: unknown = this.#db.get(`SELECT * FROM epochs WHERE status = 'open' ORDER BY epoch DESC LIMIT 1`);
    if (row !== undefined) {
      this.#open = epochRowSchema.parse(row);
      return this.#open;
    }
    const last: unknown = this.#db.get(`SELECT MAX(epoch) AS epoch FROM epochs`);
    const next = (z.object({ epoch: z.number().nullable() }).parse(last).epoch ?? 0) + 1;
    const now = this.#now();
    // Two instances starting on a fresh database may both open the first epoch: one insert wins.
    this.#db.run(`INSERT INTO epochs (epoch, started_at, ends_at, status) VALUES (?, ?, ?, 'open') ON CONFLICT (epoch) DO NOTHING`, [
      next,
      now,
      now + this.#epochLengthMs,
    ]);
    return this.currentEpoch();
  }

  credit(entry: { taskId: string; publicKey: string; model: string; units: bigint; amount: bigint; escrow: boolean }): void {
    if (entry.amount <= 0n) return;
    this.#db.run(
      `INSERT INTO credits (task_id, public_key, model, epoch, units, amount, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id) DO NOTHING`,
      [
        entry.taskId,
        entry.publicKey,
        entry.model,
        this.currentEpoch().epoch,
        entry.units.toString(),
        entry.amount.toString(),
        entry.escrow ? 'escrow' : 'credited',
        this.#now(),
      ],
    );
  }

  /** The tab was caught: everything it still has in escrow is forfeited. Returns the amount. */
  slashEscrow(publicKey: string): bigint {
    return this.#db.transaction(() => {
      const total = this.#sum(`SELECT amount FROM credits WHERE public_key = ? AND status = 'escrow'`, publicKey);
      // A site's share of work the tab lied about is not paid either.
      this.#db.run(
        `UPDATE credits SET status = 'slashed' WHERE status = 'escrow' AND task_id IN
           (SELECT task_id || ? FROM credits WHERE public_key = ? AND status = 'escrow')`,
        [SITE_SHARE_SUFFIX, publicKey],
      );
      this.#db.run(`UPDATE credits SET status = 'slashed' WHERE public_key = ? AND status = 'escrow'`, [publicKey]);
      return total;
    });
  }

  /** Whether the open epoch has reached its end. */
  epochDue(): boolean {
    return this.currentEpoch().ends_at <= this.#now();
  }

  /**
   * Closes the open epoch and opens the next, in one transaction: escrow of the epoch becomes credit, all
   * unsettled credit of linked identities is summed per account (up to a new account's cap, oldest credit
   * first), and the tree and proofs are stored.
   */
  closeEpoch(directory: AccountDirectory): ClosedEpoch {
    try {
      return this.#closeEpoch(directory);
    } finally {
      // Committed: the next epoch is open. Rolled back: the same one still is. Either way, read it again.
      this.#open = undefined;
    }
  }

  #closeEpoch(directory: AccountDirectory): ClosedEpoch {
    return this.#db.transaction((): ClosedEpoch => {
      const epoch = this.currentEpoch();
      this.#db.run(`UPDATE credits SET status = 'credited' WHERE status = 'escrow' AND epoch <= ?`, [epoch.epoch]);
      const rows = z
        .array(payableRowSchema)
        .parse(
          this.#db.all(
            `SELECT task_id, public_key, model, epoch, amount, created_at FROM credits WHERE status = 'credited' ORDER BY created_at, task_id`,
          ),
        );
      const links = new Map<string, LinkedAccount | undefined>();
      const byAccount = new Map<EvmAddress, { accountId: string; credits: PayableCredit[] }>();
      for (const row of rows) {
        if (!links.has(row.public_key)) links.set(row.public_key, directory.linkedAccount(row.public_key));
        const linked = links.get(row.public_key);
        if (linked === undefined) continue;
        const address = linked.evmAddress.toLowerCase() as EvmAddress;
        const entry = byAccount.get(address) ?? { accountId: linked.accountId, credits: [] };
        entry.credits.push({ taskId: row.task_id, publicKey: row.public_key, amount: BigInt(row.amount) });
        byAccount.set(address, entry);
      }
      const payouts = [...byAccount]
        .map(([address, entry]) => ({ address, accountId: entry.accountId, plan: planPayout(entry.credits, this.#capFor(address)) }))
        .filter((payout) => payout.plan.total > 0n);
      const carried = payouts.reduce((sum, payout) => sum + payout.plan.carried, 0n);
      const now = this.#now();
      let root: `0x${string}` | null = null;
      let total = 0n;
      if (payouts.length > 0) {
        const tree = StandardMerkleTree.of(
          payouts.map((payout) => [payout.address, payout.plan.total.toString()]),
          ['address', 'uint256'],
        );
        root = tree.root as `0x${string}`;
        const byTask = new Map(rows.map((row) => [row.task_id, row]));
        for (const [index, payout] of payouts.entries()) {
          this.#db.run(`INSERT INTO claims (epoch, account, account_id, amount, proof) VALUES (?, ?, ?, ?, ?)`, [
            epoch.epoch,
            payout.address,
            payout.accountId,
            payout.plan.total.toString(),
            JSON.stringify(tree.getProof(index)),
          ]);
          this.#settle(epoch.epoch, payout.address, payout.plan, byTask);
          total += payout.plan.total;
        }
      }
      this.#db.run(`UPDATE epochs SET status = 'closed', root = ?, total = ?, closed_at = ? WHERE epoch = ?`, [
        root,
        total.toString(),
        now,
        epoch.epoch,
      ]);
      // Two instances starting on a fresh database may both open the first epoch: one insert wins.
      this.#db.run(`INSERT INTO epochs (epoch, started_at, ends_at, status) VALUES (?, ?, ?, 'open') ON CONFLICT (epoch) DO NOTHING`, [
        epoch.epoch + 1,
        now,
        now + this.#epochLengthMs,
      ]);
      return { epoch: epoch.epoch, root, total, accounts: payouts.length, carried };
    });
  }

  /**
   * Marks what an account is paid this epoch as settled and records each tab key's share. The row the cap
   * fell inside keeps the paid part; the rest becomes a new credited row (`<task>~carry<epoch>`, 0 units,
   * same date) that a later epoch pays.
   */
  #settle(epoch: number, address: EvmAddress, plan: PayoutPlan, byTask: ReadonlyMap<string, PayableRow>): void {
    const shares = new Map<string, bigint>();
    const settle = (taskId: string, amount: bigint) =>
      this.#db.run(`UPDATE credits SET status = 'settled', settled_epoch = ?, amount = ? WHERE task_id = ?`, [
        epoch,
        amount.toString(),
        taskId,
      ]);
    for (const credit of plan.paid) {
      settle(credit.taskId, credit.amount);
      shares.set(credit.publicKey, (shares.get(credit.publicKey) ?? 0n) + credit.amount);
    }
    if (plan.split !== null) {
      const { credit, paidAmount, carried } = plan.split;
      const row = byTask.get(credit.taskId);
      if (row === undefined) throw new Error(`credit ${credit.taskId} vanished while closing epoch ${epoch}`);
      settle(credit.taskId, paidAmount);
      this.#db.run(
        `INSERT INTO credits (task_id, public_key, model, epoch, units, amount, status, created_at) VALUES (?, ?, ?, ?, '0', ?, 'credited', ?)`,
        [`${credit.taskId}~carry${epoch}`, credit.publicKey, row.model, row.epoch, carried.toString(), row.created_at],
      );
      shares.set(credit.publicKey, (shares.get(credit.publicKey) ?? 0n) + paidAmount);
    }
    for (const [publicKey, amount] of shares)
      this.#db.run(`INSERT INTO claim_sources (epoch, account, public_key, amount) VALUES (?, ?, ?, ?)`, [
        epoch,
        address,
        publicKey,
        amount.toString(),
      ]);
  }

  /** The cap on `address`'s payout this epoch: none once it was paid in enough earlier epochs (its history). */
  #capFor(address: EvmAddress): bigint | null {
    const cap = this.#newAccountCap;
    if (cap === undefined || cap.amount <= 0n) return null;
    const paidEpochs = z
      .object({ n: z.number().int() })
      .parse(this.#db.get(`SELECT COUNT(*) AS n FROM claims WHERE account = ?`, [address])).n;
    return paidEpochs >= cap.epochs ? null : cap.amount;
  }

  markClaimed(epoch: number, account: string): void {
    this.#db.run(`UPDATE claims SET claimed = 1 WHERE epoch = ? AND account = ?`, [epoch, account.toLowerCase()]);
  }

  epochs(limit = 50): EpochView[] {
    const rows = z.array(epochRowSchema).parse(this.#db.all(`SELECT * FROM epochs ORDER BY epoch DESC LIMIT ?`, [limit]));
    const counts = z
      .array(z.object({ epoch: z.number(), n: z.number() }))
      .parse(this.#db.all(`SELECT epoch, COUNT(*) AS n FROM claims GROUP BY epoch`));
    return rows.map((row) => ({
      epoch: row.epoch,
      startedAt: row.started_at,
      endsAt: row.ends_at,
      status: row.status,
      root: row.root,
      total: row.total,
      accounts: counts.find((count) => count.epoch === row.epoch)?.n ?? 0,
      txHash: row.tx_hash,
      hcsSequence: row.hcs_sequence,
    }));
  }

  /** The claims an account can make (or made), with proofs. */
  claims(account: string): ClaimableEpoch[] {
    const rows = z
      .array(claimRowSchema.extend({ root: z.string().nullable(), status: z.string() }))
      .parse(
        this.#db.all(
          `SELECT c.*, e.root AS root, e.status AS status FROM claims c JOIN epochs e USING (epoch) WHERE c.account = ? ORDER BY c.epoch`,
          [account.toLowerCase()],
        ),
      );
    return rows.map((row) => ({
      epoch: row.epoch,
      account: row.account,
      amount: row.amount,
      proof: z.array(z.string()).parse(JSON.parse(row.proof)),
      root: row.root ?? '',
      claimed: row.claimed === 1,
      posted: row.status === 'posted',
    }));
  }

  balances(publicKey: string, account: string | undefined): Balances {
    const sums = z.array(sumRowSchema).parse(this.#db.all(`SELECT status, amount FROM credits WHERE public_key = ?`, [publicKey]));
    const by = (status: CreditStatus) => sums.filter((row) => row.status === status).reduce((total, row) => total + BigInt(row.amount), 0n);
    let claimable = 0n;
    let claimed = 0n;
    if (account !== undefined) {
      // This identity's share of each settled claim of its account.
      const shares = z
        .array(z.object({ amount: z.string(), claimed: z.number() }))
        .parse(
          this.#db.all(`SELECT s.amount, c.claimed FROM claim_sources s JOIN claims c USING (epoch, account) WHERE s.public_key = ?`, [
            publicKey,
          ]),
        );
      for (const share of shares) {
        if (share.claimed === 1) claimed += BigInt(share.amount);
        else claimable += BigInt(share.amount);
      }
    }
    return { escrowed: by('escrow'), credited: by('credited'), claimable, claimed, slashed: by('slashed') };
  }

  history(publicKey: string, limit = 50): CreditEntry[] {
    return z
      .array(creditRowSchema)
      .parse(this.#db.all(`SELECT * FROM credits WHERE public_key = ? ORDER BY created_at DESC LIMIT ?`, [publicKey, limit]))
      .map((row) => ({
        taskId: row.task_id,
        epoch: row.epoch,
        model: row.model,
        units: row.units,
        amount: row.amount,
        status: row.status,
        createdAt: row.created_at,
      }));
  }

  /** Identities by everything they earned (not slashed), most first. */
  leaderboard(limit = 20): Array<{ publicKey: string; earned: bigint; tasks: number }> {
    const rows = z
      .array(z.object({ public_key: z.string(), amount: z.string() }))
      .parse(this.#db.all(`SELECT public_key, amount FROM credits WHERE status != 'slashed'`));
    const totals = new Map<string, { earned: bigint; tasks: number }>();
    for (const row of rows) {
      const entry = totals.get(row.public_key) ?? { earned: 0n, tasks: 0 };
      entry.earned += BigInt(row.amount);
      entry.tasks++;
      totals.set(row.public_key, entry);
    }
    return [...totals]
      .map(([publicKey, entry]) => ({ publicKey, ...entry }))
      .sort((a, b) => (b.earned > a.earned ? 1 : b.earned < a.earned ? -1 : 0))
      .slice(0, limit);
  }

  #sum(sql: string, ...params: SqlValue[]): bigint {
    return z
      .array(z.object({ amount: z.string() }))
      .parse(this.#db.all(sql, params))
      .reduce((total, row) => total + BigInt(row.amount), 0n);
  }
}
