import { hederaAccountIdSchema, longZeroEvmAddress } from '@tessera/shared';
import type { AccountDirectory, LinkedAccount } from '../rewards/account-directory.ts';
import type { SiteBook } from './site-book.ts';
import { siteKeyOfLedgerKey } from './site-share.ts';

/**
 * The account directory settlement reads, with sites added: a site registered with a Hedera account is paid
 * to that account's long-zero EVM address (what an ED25519 account is on Hedera's EVM); every other key is
 * looked up in `linked` (tab keys and their wallet links, including a site registered with a tab key).
 */
export function withSiteAccounts(linked: AccountDirectory, sites: SiteBook): AccountDirectory {
  return {
    linkedAccount(publicKey: string): LinkedAccount | undefined {
      const siteKey = siteKeyOfLedgerKey(publicKey);
      if (siteKey === null) return linked.linkedAccount(publicKey);
      const parsed = hederaAccountIdSchema.safeParse(sites.get(siteKey)?.accountId);
      return parsed.success ? { accountId: parsed.data, evmAddress: longZeroEvmAddress(parsed.data) } : undefined;
    },
  };
}
