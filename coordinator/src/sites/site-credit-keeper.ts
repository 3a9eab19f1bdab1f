import type { ModelCatalogEntry } from '@tessera/shared';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { ReputationBook } from '../reputation/reputation-book.ts';
import { creditPolicy } from '../rewards/credit-policy.ts';
import { SITE_SHARE_SUFFIX } from '../rewards/ledger.ts';
import type { Ledger } from '../rewards/ledger.ts';
import type { SiteBook } from './site-book.ts';
import { siteLedgerKey, siteShare } from './site-share.ts';

/**
 * Credits a site its share of each result a widget tab delivered from one of the site's registered origins:
 * a ledger row `<task>~site` of `sharePermille` thousandths of the visitor's credit, on top of it, held in
 * escrow exactly when the visitor's is (and slashed with it when the tab is caught: `Ledger.slashEscrow`).
 * Must be subscribed right after `keepRewards` and before reputation moves, so the visitor's credit it
 * derives from is the one just booked (the same `creditPolicy`, the same tier).
 */
export function keepSiteCredit(options: {
  events: CoordinatorEventBus;
  ledger: Ledger;
  sites: SiteBook;
  reputation: ReputationBook;
  catalog: readonly ModelCatalogEntry[];
  ratePerUnit: bigint;
  sharePermille: number;
}): void {
  const { events, ledger, sites, reputation, catalog, ratePerUnit, sharePermille } = options;
  events.on('task:succeeded', ({ record, result, worker }) => {
    const site = sites.creditedSite(worker.capabilities.embeddedIn);
    if (site === undefined) return;
    const publicKey = worker.key.publicKey;
    const visitor = creditPolicy({ record, result, publicKey, tier: reputation.tier(publicKey), catalog, ratePerUnit });
    const amount = siteShare(visitor.amount, sharePermille);
    if (amount <= 0n) return;
    ledger.credit({
      taskId: `${record.id}${SITE_SHARE_SUFFIX}`,
      publicKey: site.publicKey ?? siteLedgerKey(site.siteKey),
      model: visitor.model,
      units: visitor.units,
      amount,
      escrow: visitor.escrow,
    });
    sites.recordTask({ taskId: record.id, siteKey: site.siteKey, workerKey: publicKey });
  });
}
