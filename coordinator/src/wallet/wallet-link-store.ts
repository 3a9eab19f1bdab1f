import { linkedAccountSchema } from '@tessera/shared';
import type { LinkedAccount } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

const rowSchema = z.object({
  public_key: z.string(),
  account_id: z.string(),
  evm_address: z.string(),
  key_type: z.string(),
  network: z.string(),
  linked_at: z.number().int(),
});

const PUT = `INSERT INTO wallet_links (public_key, account_id, evm_address, key_type, network, linked_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (public_key) DO UPDATE SET account_id = excluded.account_id, evm_address = excluded.evm_address,
    key_type = excluded.key_type, network = excluded.network, linked_at = excluded.linked_at`;

/**
 * Wallet links in the coordinator's database (table `wallet_links`), one per tab key (a later link
 * replaces it: the key's holder may change wallets).
 */
export class WalletLinkStore {
  constructor(private readonly db: SqlDatabase) {}

  get(publicKey: string): LinkedAccount | undefined {
    const row = this.db.get(
      'SELECT public_key, account_id, evm_address, key_type, network, linked_at FROM wallet_links WHERE public_key = ?',
      [publicKey],
    );
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
    this.db.run(PUT, [link.publicKey, link.accountId, link.evmAddress, link.keyType, link.network, link.linkedAt]);
  }
}
