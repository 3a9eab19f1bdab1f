import type { SiteKey } from '@tessera/shared';

/** `TESSERA_SITE_SHARE` (`10%`, `2.5%`, `10`) in thousandths, the unit the share is computed in. */
export function sharePermille(text: string): number {
  const match = /^(\d{1,3})(?:\.(\d))?%?$/.exec(text);
  if (match === null) throw new Error(`not a percentage: ${text}`);
  const permille = Number(match[1]) * 10 + Number(match[2] ?? '0');
  if (permille > 1000) throw new Error(`a share above 100%: ${text}`);
  return permille;
}

/**
 * A site's share of one result's credit: `permille` thousandths of what the visitor's tab was credited,
 * rounded down, in bigint. It is paid on top of the visitor's credit (from the network's reward budget),
 * never taken from it.
 *
 * @example
 * siteShare(1_000_000n, 100) // 100_000n: 10 %
 */
export function siteShare(workerAmount: bigint, permille: number): bigint {
  if (workerAmount <= 0n || permille <= 0) return 0n;
  return (workerAmount * BigInt(permille)) / 1000n;
}

/** The ledger identity a site registered with a Hedera account is credited under (not a tab key: no tab can sign as it). */
export function siteLedgerKey(siteKey: SiteKey): string {
  return `site:${siteKey}`;
}

export function siteKeyOfLedgerKey(ledgerKey: string): string | null {
  return ledgerKey.startsWith('site:') ? ledgerKey.slice('site:'.length) : null;
}
