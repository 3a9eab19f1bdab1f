import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { creditStatusSchema } from '@tessera/shared';
import type { ClaimableEpoch, CreditEntry, CreditStatus, EpochView } from '@tessera/shared';
import { z } from 'zod';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/open-database.ts';
import type { AccountDirectory, EvmAddress } from './account-directory.ts';

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

export interface ClosedEpoch {
  epoch: number;
  root: `0x${string}` | null;
  total: bigint;
  accounts: number;
}

export interface Balances {
  escrowed: bigint;
  credited: bigint;
  claimable: bigint;
  claimed: bigint;
  slashed: bigint;
}

/**
 * Credit for verified work, in the coordinator's SQLite file: every amount a bigint in the token's
 * smallest unit, stored as a decimal string. A newcomer's credit waits in escrow until a guard confirms
 * its work or the epoch closes, and is slashed if the tab is caught. Closing an epoch folds each linked
 * account's credit into one Merkle leaf `(evm address, amount)`; the root goes on chain and each claim
 * keeps its proof. Credit of identities with no linked wallet waits for a later epoch.
 */
export class Ledger {
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, Statement<unknown[]>>();
  readonly #epochLengthMs: number;
  readonly #now: () => number;
  /** The open epoch, read once: only this class opens and closes epochs. */
  #open: EpochRow | undefined;

  constructor(db: SqliteDatabase, options: { epochLengthMs: number; now?: () => number }) {
    this.#db = db;
    this.#epochLengthMs = options.epochLengthMs;
    this.#now = options.now ?? Date.now;
  }

  /** The open epoch, opening the first one on a fresh database. */
  currentEpoch(): EpochRow {
    if (this.#open !== undefined) return this.#open;
    const row: unknown = this.#sql(`SELECT * FROM epochs WHERE status = 'open' ORDER BY epoch DESC LIMIT 1`).get();
    if (row !== undefined) {
      this.#open = epochRowSchema.parse(row);
      return this.#open;
    }
    const last: unknown = this.#sql(`SELECT MAX(epoch) AS epoch FROM epochs`).get();
    const next = (z.object({ epoch: z.number().nullable() }).parse(last).epoch ?? 0) + 1;
    const now = this.#now();
    this.#sql(`INSERT INTO epochs (epoch, started_at, ends_at, status) VALUES (?, ?, ?, 'open')`).run(next, now, now + this.#epochLengthMs);
    return this.currentEpoch();
  }

  credit(entry: { taskId: string; publicKey: string; model: string; units: bigint; amount: bigint; escrow: boolean }): void {
    if (entry.amount <= 0n) return;
    this.#sql(
      `INSERT OR IGNORE INTO credits (task_id, public_key, model, epoch, units, amount, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      entry.taskId,
      entry.publicKey,
      entry.model,
      this.currentEpoch().epoch,
      entry.units.toString(),
      entry.amount.toString(),
      entry.escrow ? 'escrow' : 'credited',
      this.#now(),
    );
  }

  /** The tab was caught: everything it still has in escrow is forfeited. Returns the amount. */
  slashEscrow(publicKey: string): bigint {
    return this.#db.transaction(() => {
      const total = this.#sum(`SELECT amount FROM credits WHERE public_key = ? AND status = 'escrow'`, publicKey);
      this.#sql(`UPDATE credits SET status = 'slashed' WHERE public_key = ? AND status = 'escrow'`).run(publicKey);
      return total;
    })();
  }

  /** Whether the open epoch has reached its end. */
  epochDue(): boolean {
    return this.currentEpoch().ends_at <= this.#now();
  }

  /**
   * Closes the open epoch and opens the next, in one transaction: escrow of the epoch becomes credit, all
   * unsettled credit of linked identities is summed per account, and the tree and proofs are stored.
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
      this.#sql(`UPDATE credits SET status = 'credited' WHERE status = 'escrow' AND epoch <= ?`).run(epoch.epoch);
      const rows = z
        .array(z.object({ public_key: z.string(), amount: z.string() }))
        .parse(this.#sql(`SELECT public_key, amount FROM credits WHERE status = 'credited'`).all());
      const byKey = new Map<string, bigint>();
      for (const row of rows) byKey.set(row.public_key, (byKey.get(row.public_key) ?? 0n) + BigInt(row.amount));
      const byAccount = new Map<EvmAddress, { accountId: string; amount: bigint; keys: Map<string, bigint> }>();
      for (const [publicKey, amount] of byKey) {
        const linked = directory.linkedAccount(publicKey);
        if (linked === undefined) continue;
        const address = linked.evmAddress.toLowerCase() as EvmAddress;
        const entry = byAccount.get(address) ?? { accountId: linked.accountId, amount: 0n, keys: new Map() };
        entry.amount += amount;
        entry.keys.set(publicKey, amount);
        byAccount.set(address, entry);
      }
      const now = this.#now();
      let root: `0x${string}` | null = null;
      let total = 0n;
      if (byAccount.size > 0) {
        const values = [...byAccount].map(([address, entry]) => [address, entry.amount.toString()]);
        const tree = StandardMerkleTree.of(values, ['address', 'uint256']);
        root = tree.root as `0x${string}`;
        const insertClaim = this.#sql(`INSERT INTO claims (epoch, account, account_id, amount, proof) VALUES (?, ?, ?, ?, ?)`);
        const insertSource = this.#sql(`INSERT INTO claim_sources (epoch, account, public_key, amount) VALUES (?, ?, ?, ?)`);
        const settle = this.#sql(`UPDATE credits SET status = 'settled', settled_epoch = ? WHERE public_key = ? AND status = 'credited'`);
        for (const [index, [address, entry]] of [...byAccount].entries()) {
          insertClaim.run(epoch.epoch, address, entry.accountId, entry.amount.toString(), JSON.stringify(tree.getProof(index)));
          for (const [publicKey, amount] of entry.keys) {
            insertSource.run(epoch.epoch, address, publicKey, amount.toString());
            settle.run(epoch.epoch, publicKey);
          }
          total += entry.amount;
        }
      }
      this.#sql(`UPDATE epochs SET status = 'closed', root = ?, total = ?, closed_at = ? WHERE epoch = ?`).run(
        root,
        total.toString(),
        now,
        epoch.epoch,
      );
      this.#sql(`INSERT INTO epochs (epoch, started_at, ends_at, status) VALUES (?, ?, ?, 'open')`).run(
        epoch.epoch + 1,
        now,
        now + this.#epochLengthMs,
      );
      return { epoch: epoch.epoch, root, total, accounts: byAccount.size };
    })();
  }

  /** Closed epochs whose root has not reached the chain (after a failure or a restart). */
  unpostedEpochs(): Array<{ epoch: number; root: `0x${string}`; total: bigint }> {
    return z
      .array(epochRowSchema)
      .parse(this.#sql(`SELECT * FROM epochs WHERE status = 'closed' AND root IS NOT NULL ORDER BY epoch`).all())
      .map((row) => ({ epoch: row.epoch, root: row.root as `0x${string}`, total: BigInt(row.total ?? '0') }));
  }

  markPosted(epoch: number, txHash: string): void {
    this.#sql(`UPDATE epochs SET status = 'posted', tx_hash = ? WHERE epoch = ?`).run(txHash, epoch);
  }

  markPublished(epoch: number, sequence: string): void {
    this.#sql(`UPDATE epochs SET hcs_sequence = ? WHERE epoch = ?`).run(sequence, epoch);
  }

  markClaimed(epoch: number, account: string): void {
    this.#sql(`UPDATE claims SET claimed = 1 WHERE epoch = ? AND account = ?`).run(epoch, account.toLowerCase());
  }

  epochs(limit = 50): EpochView[] {
    const rows = z.array(epochRowSchema).parse(this.#sql(`SELECT * FROM epochs ORDER BY epoch DESC LIMIT ?`).all(limit));
    const counts = z
      .array(z.object({ epoch: z.number(), n: z.number() }))
      .parse(this.#sql(`SELECT epoch, COUNT(*) AS n FROM claims GROUP BY epoch`).all());
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
        this.#sql(
          `SELECT c.*, e.root AS root, e.status AS status FROM claims c JOIN epochs e USING (epoch) WHERE c.account = ? ORDER BY c.epoch`,
        ).all(account.toLowerCase()),
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
    const sums = z.array(sumRowSchema).parse(this.#sql(`SELECT status, amount FROM credits WHERE public_key = ?`).all(publicKey));
    const by = (status: CreditStatus) => sums.filter((row) => row.status === status).reduce((total, row) => total + BigInt(row.amount), 0n);
    let claimable = 0n;
    let claimed = 0n;
    if (account !== undefined) {
      // This identity's share of each settled claim of its account.
      const shares = z
        .array(z.object({ amount: z.string(), claimed: z.number() }))
        .parse(
          this.#sql(`SELECT s.amount, c.claimed FROM claim_sources s JOIN claims c USING (epoch, account) WHERE s.public_key = ?`).all(
            publicKey,
          ),
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
      .parse(this.#sql(`SELECT * FROM credits WHERE public_key = ? ORDER BY created_at DESC LIMIT ?`).all(publicKey, limit))
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
      .parse(this.#sql(`SELECT public_key, amount FROM credits WHERE status != 'slashed'`).all());
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

  /** Each statement is prepared once: preparing costs more than running these small queries. */
  #sql(source: string): Statement<unknown[]> {
    let statement = this.#statements.get(source);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[]>(source);
      this.#statements.set(source, statement);
    }
    return statement;
  }

  #sum(sql: string, ...params: unknown[]): bigint {
    return z
      .array(z.object({ amount: z.string() }))
      .parse(this.#sql(sql).all(...params))
      .reduce((total, row) => total + BigInt(row.amount), 0n);
  }
}
