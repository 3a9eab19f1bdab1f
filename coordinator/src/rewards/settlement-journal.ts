import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { PreparedHcsMessage } from './hcs-publisher.ts';

/** A closed epoch whose root is not recorded as on chain. */
export interface EpochToPost {
  epoch: number;
  root: `0x${string}`;
  total: bigint;
  /** The chain's height before the first attempt: its `EpochPosted` event, if any, is at or after it. */
  fromBlock: bigint | null;
}

/** A posted epoch whose summary is not recorded as on the HCS topic. */
export interface EpochToPublish {
  epoch: number;
  root: string;
  total: bigint;
  txHash: string | null;
  /** The signed transaction already made for it, sent again until it lands. */
  prepared: PreparedHcsMessage | null;
}

const toPostSchema = z.object({ epoch: z.number().int(), root: z.string(), total: z.string(), post_from_block: z.string().nullable() });
const toPublishSchema = z.object({
  epoch: z.number().int(),
  root: z.string(),
  total: z.string(),
  tx_hash: z.string().nullable(),
  hcs_transaction_id: z.string().nullable(),
  hcs_transaction: z.instanceof(Buffer).nullable(),
  hcs_valid_until: z.number().int().nullable(),
});

const hexRoot = z.custom<`0x${string}`>((value) => typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value), 'not a 32-byte root');

/**
 * Where each closed epoch stands on its way out: root on chain, summary on the HCS topic. Every step is
 * written down before the next one starts, so a coordinator killed at any point picks up where it was: it
 * finds its own post on chain rather than posting again, and sends the same signed HCS transaction again
 * rather than a second one.
 */
export class SettlementJournal {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Closed epochs with a root that is not recorded as on chain, oldest first. */
  toPost(): EpochToPost[] {
    return z
      .array(toPostSchema)
      .parse(
        this.#db.all(`SELECT e.epoch, e.root, e.total, s.post_from_block FROM epochs e LEFT JOIN epoch_settlement s USING (epoch)
           WHERE e.status = 'closed' AND e.root IS NOT NULL ORDER BY e.epoch`),
      )
      .map((row) => ({
        epoch: row.epoch,
        root: hexRoot.parse(row.root),
        total: BigInt(row.total),
        fromBlock: row.post_from_block === null ? null : BigInt(row.post_from_block),
      }));
  }

  /** Written before the first post is sent. */
  rememberFromBlock(epoch: number, block: bigint): void {
    this.#db.run(
      `INSERT INTO epoch_settlement (epoch, post_from_block) VALUES (?, ?)
       ON CONFLICT (epoch) DO UPDATE SET post_from_block = excluded.post_from_block`,
      [epoch, block.toString()],
    );
  }

  /** The root is on chain; `txHash` is null when the post was found on chain but its transaction was not. */
  markPosted(epoch: number, txHash: string | null): void {
    this.#db.run(`UPDATE epochs SET status = 'posted', tx_hash = ? WHERE epoch = ?`, [txHash, epoch]);
  }

  /** Posted epochs whose summary is not on the topic yet, oldest first. */
  toPublish(): EpochToPublish[] {
    return z
      .array(toPublishSchema)
      .parse(
        this.#db.all(`SELECT e.epoch, e.root, e.total, e.tx_hash, s.hcs_transaction_id, s.hcs_transaction, s.hcs_valid_until
           FROM epochs e LEFT JOIN epoch_settlement s USING (epoch)
           WHERE e.status = 'posted' AND e.hcs_sequence IS NULL AND e.root IS NOT NULL ORDER BY e.epoch`),
      )
      .map((row) => ({
        epoch: row.epoch,
        root: row.root,
        total: BigInt(row.total),
        txHash: row.tx_hash,
        prepared:
          row.hcs_transaction_id === null || row.hcs_transaction === null || row.hcs_valid_until === null
            ? null
            : { transactionId: row.hcs_transaction_id, bytes: new Uint8Array(row.hcs_transaction), validUntilMs: row.hcs_valid_until },
      }));
  }

  /** Written before the transaction is sent for the first time. */
  rememberPrepared(epoch: number, prepared: PreparedHcsMessage): void {
    this.#db.run(
      `INSERT INTO epoch_settlement (epoch, hcs_transaction_id, hcs_transaction, hcs_valid_until) VALUES (?, ?, ?, ?)
       ON CONFLICT (epoch) DO UPDATE SET hcs_transaction_id = excluded.hcs_transaction_id,
         hcs_transaction = excluded.hcs_transaction, hcs_valid_until = excluded.hcs_valid_until`,
      [epoch, prepared.transactionId, Buffer.from(prepared.bytes), prepared.validUntilMs],
    );
  }

  /** That transaction provably never landed: the next attempt makes a new one. */
  forgetPrepared(epoch: number): void {
    this.#db.run(`UPDATE epoch_settlement SET hcs_transaction_id = NULL, hcs_transaction = NULL, hcs_valid_until = NULL WHERE epoch = ?`, [
      epoch,
    ]);
  }

  markPublished(epoch: number, sequence: string): void {
    this.#db.run(`UPDATE epochs SET hcs_sequence = ? WHERE epoch = ?`, [sequence, epoch]);
  }

  /** The HCS transaction id recorded for an epoch (tests and operators). */
  hcsTransactionId(epoch: number): string | null {
    const row: unknown = this.#db.get(`SELECT hcs_transaction_id FROM epoch_settlement WHERE epoch = ?`, [epoch]);
    return row === undefined ? null : z.object({ hcs_transaction_id: z.string().nullable() }).parse(row).hcs_transaction_id;
  }
}
