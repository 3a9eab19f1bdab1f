import { hederaAccountIdSchema } from '@tessera/shared';
import type { HederaAccountId } from '@tessera/shared';

/** A development wallet from the URL: `?wallet=local&account=0.0.1234&walletKey=<DER hex private key>`. */
export interface LocalWalletOptions {
  accountId: HederaAccountId;
  privateKeyDer: string;
}

export interface ParsedWalletOptions {
  /** Offered on the page as "Use a local test key" (never used without that click); null unless asked for. */
  localWallet: LocalWalletOptions | null;
  /** Wallet parameters that were present but unusable. */
  warnings: string[];
}

/**
 * Reads the wallet parameters of the volunteer page (documented in client/README.md), from the query
 * or the fragment (`#wallet=local&…`, which never reaches a server or its logs). The local key is
 * only offered when `wallet=local` is present and both `account` and `walletKey` are well formed; a
 * key without `wallet=local` is ignored with a warning, never used quietly.
 */
export function parseWalletOptions(search: string, hash = ''): ParsedWalletOptions {
  const params = new URLSearchParams(search);
  for (const [name, value] of new URLSearchParams(hash.replace(/^#/, '')))
    if (['wallet', 'account', 'walletKey'].includes(name)) params.set(name, value);
  const warnings: string[] = [];
  const wallet = params.get('wallet');
  const account = params.get('account');
  const walletKey = params.get('walletKey');
  if (wallet === null || wallet === '') {
    if (walletKey !== null || account !== null) warnings.push('Ignored account/walletKey: add wallet=local to offer a local test key.');
    return { localWallet: null, warnings };
  }
  if (wallet !== 'local') {
    warnings.push(`Ignored wallet=${wallet.slice(0, 40)}: the only value is local.`);
    return { localWallet: null, warnings };
  }
  const accountId = hederaAccountIdSchema.safeParse(account ?? '');
  if (!accountId.success)
    warnings.push(
      `wallet=local needs account=<shard.realm.num>, e.g. account=0.0.1234${account === null ? '' : ` (got ${account.slice(0, 40)})`}.`,
    );
  const key = (walletKey ?? '').trim();
  const keyOk = /^(?:0x)?(?:[0-9a-fA-F]{2}){32,200}$/.test(key);
  if (!keyOk) warnings.push("wallet=local needs walletKey=<the account's private key, DER-encoded hex>.");
  if (!accountId.success || !keyOk) return { localWallet: null, warnings };
  return { localWallet: { accountId: accountId.data, privateKeyDer: key }, warnings };
}
