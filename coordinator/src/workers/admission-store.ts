import { z } from 'zod';
import type { SqliteDatabase } from '../db/open-database.ts';
import type { ClientAddress } from './admission-address.ts';

const birthRowSchema = z.object({ public_key: z.string(), first_seen_at: z.number().int() });

/** A key and when it was first admitted. */
export interface IdentityBirth {
  publicKey: string;
  firstSeenAt: number;
}

/**
 * Every key admitted as a worker or guard, with the address and prefix it was first seen from, in SQLite:
 * a restart neither forgets which keys are known nor resets a network's new-identity budget.
 */
export class AdmissionStore {
  readonly #known;
  readonly #insert;
  readonly #byAddress;
  readonly #byPrefix;

  constructor(db: SqliteDatabase) {
    // A key with a reputation record (kept from before admission existed) is known too.
    this.#known = db.prepare(
      `SELECT 1 FROM admitted_identities WHERE public_key = ? UNION ALL SELECT 1 FROM identities WHERE public_key = ? LIMIT 1`,
    );
    this.#insert = db.prepare(`INSERT OR IGNORE INTO admitted_identities (public_key, address, prefix, first_seen_at) VALUES (?, ?, ?, ?)`);
    this.#byAddress = db.prepare(`SELECT public_key, first_seen_at FROM admitted_identities WHERE address = ? AND first_seen_at > ?`);
    this.#byPrefix = db.prepare(`SELECT public_key, first_seen_at FROM admitted_identities WHERE prefix = ? AND first_seen_at > ?`);
  }

  isKnown(publicKey: string): boolean {
    return this.#known.get(publicKey, publicKey) !== undefined;
  }

  /** Records a new identity's first admission; a key already recorded keeps its first. */
  record(publicKey: string, client: ClientAddress, at: number): void {
    this.#insert.run(publicKey, client.address, client.prefix, at);
  }

  /** Keys first admitted from the address (or prefix) after `since`. */
  births(by: 'address' | 'prefix', value: string, since: number): IdentityBirth[] {
    const rows = (by === 'address' ? this.#byAddress : this.#byPrefix).all(value, since);
    return rows.map((row) => {
      const parsed = birthRowSchema.parse(row);
      return { publicKey: parsed.public_key, firstSeenAt: parsed.first_seen_at };
    });
  }
}
