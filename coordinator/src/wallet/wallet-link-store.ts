import { linkedAccountSchema } from '@tessera/shared';
import type { LinkedAccount } from '@tessera/shared';
import { z } from 'zod';
import type { SqliteDatabase } from '../db/open-database.ts';

const rowSchema = z.object({
  public_key: z.string(),
  account_id: z.string(),
  evm_address: z.string(),
  key_type: z.string(),
  network: z.string(),
  linked_at: z.number().int(),
});

/**
 * Wallet links in SQLite, one per tab key (a later link replaces it: the key's holder may change
 * wallets). Its own table, created if missing on the coordinator's database handle.
 */
export class WalletLinkStore {
  readonly #get;
  readonly #put;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS wallet_links (
       public_key TEXT PRIMARY KEY,
       account_id TEXT NOT NULL,
       evm_address TEXT NOT NULL,
       key_type TEXT NOT NULL,
       network TEXT NOT NULL,
       linked_at INTEGER NOT NULL
     ) STRICT`);
    db.exec(`CREATE INDEX IF NOT EXISTS wallet_links_account ON wallet_links (account_id)`);
    this.#get = db.prepare(
      `SELECT public_key, account_id, evm_address, key_type, network, linked_at FROM wallet_links WHERE public_key = ?`,
    );
    this.#put = db.prepare(
      `INSERT INTO wallet_links (public_key, account_id, evm_address, key_type, network, linked_at)
       VALUES (@publicKey, @accountId, @evmAddress, @keyType, @network, @linkedAt)
       ON CONFLICT (public_key) DO UPDATE SET account_id = @accountId, evm_address = @evmAddress, key_type = @keyType, network = @network, linked_at = @linkedAt`,
    );
  }

  get(publicKey: string): LinkedAccount | undefined {
    const row: unknown = this.#get.get(publicKey);
    if (row === undefined) return undefined;
    const fields = rowSchema.parse(row);
    return linkedAccountSchema.parse({
      publicKey: fields.public_key,
      accountId: fields.account_id,
      evmAddress: fields.evm_address,
      keyType: fields.key_type,
      network: fields.network,
      linkedAt: fields.linked_at,
    });
  }

  put(link: LinkedAccount): void {
    this.#put.run(link);
  }
}
