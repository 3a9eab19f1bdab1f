import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { ClientAddress } from './admission-address.ts';

const firstSeenSchema = z.object({ first_seen_at: z.number().int() });
const caughtRowSchema = z.object({ first_seen_at: z.number().int(), caught: z.number().int() });

// A key with a reputation record (kept from before admission existed) is known too.
const KNOWN = `SELECT 1 AS known FROM admitted_identities WHERE public_key = ? UNION ALL SELECT 1 FROM identities WHERE public_key = ? LIMIT 1`;
const RECORD = `INSERT INTO admitted_identities (public_key, address, prefix, first_seen_at) VALUES (?, ?, ?, ?) ON CONFLICT (public_key) DO NOTHING`;
const BIRTHS = {
  address: `SELECT first_seen_at FROM admitted_identities WHERE address = ? AND first_seen_at > ? ORDER BY first_seen_at`,
  prefix: `SELECT first_seen_at FROM admitted_identities WHERE prefix = ? AND first_seen_at > ? ORDER BY first_seen_at`,
};
const CAUGHT_BIRTHS = {
  address: `SELECT first_seen_at, caught FROM admitted_identities WHERE address = ? AND first_seen_at > ? AND caught > 0`,
  prefix: `SELECT first_seen_at, caught FROM admitted_identities WHERE prefix = ? AND first_seen_at > ? AND caught > 0`,
};

/**
 * Every key admitted as a worker or guard, with the address and prefix it was first seen from and how
 * often it was caught since, in the coordinator's database: a restart neither forgets which keys are known
 * nor resets a network's new-identity budget. Caught keys are found through partial indexes, so a network's
 * many honest keys are never read to find its few caught ones.
 */
export class AdmissionStore {
  constructor(private readonly db: SqlDatabase) {}

  isKnown(publicKey: string): boolean {
    return this.db.get(KNOWN, [publicKey, publicKey]) !== undefined;
  }

  /** Records a new identity's first admission; a key already recorded keeps its first. */
  record(publicKey: string, client: ClientAddress, at: number): void {
    this.db.run(RECORD, [publicKey, client.address, client.prefix, at]);
  }

  /** One more of the key's results was caught (a key admitted before this store existed is not in it). */
  caught(publicKey: string): void {
    this.db.run('UPDATE admitted_identities SET caught = caught + 1 WHERE public_key = ?', [publicKey]);
  }

  /** When the keys first admitted from the address (or prefix) after `since` were first seen, oldest first. */
  births(by: 'address' | 'prefix', value: string, since: number): number[] {
    return this.db.all(BIRTHS[by], [value, since]).map((row) => firstSeenSchema.parse(row).first_seen_at);
  }

  /** The keys first admitted from there after `since` that were caught since, and how often. */
  caughtBirths(by: 'address' | 'prefix', value: string, since: number): Array<{ at: number; caught: number }> {
    return this.db.all(CAUGHT_BIRTHS[by], [value, since]).map((row) => {
      const parsed = caughtRowSchema.parse(row);
      return { at: parsed.first_seen_at, caught: parsed.caught };
    });
  }
}
