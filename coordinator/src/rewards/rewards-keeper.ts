import type { ModelCatalogEntry } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { ReputationBook } from '../reputation/reputation-book.ts';
import { creditPolicy } from './credit-policy.ts';
import type { Ledger } from './ledger.ts';

/**
 * Books rewards from what happened: credit for each delivered result, inside the transaction that stores
 * it (never lost, never doubled), and the forfeit of a caught tab's escrow.
 */
export function keepRewards(options: {
  events: CoordinatorEventBus;
  ledger: Ledger;
  reputation: ReputationBook;
  catalog: readonly ModelCatalogEntry[];
  ratePerUnit: bigint;
  logger: FastifyBaseLogger;
}): void {
  const { events, ledger, reputation, catalog, ratePerUnit } = options;
  // Subscribed before reputation: the tier a result is paid at is the one it was earned under.
  events.on('task:succeeded', ({ record, result, worker }) => {
    const publicKey = worker.key.publicKey;
    ledger.credit(creditPolicy({ record, result, publicKey, tier: reputation.tier(publicKey), catalog, ratePerUnit }));
  });
  events.on('verify:checked', ({ workerKey, verdict }) => {
    if (verdict !== 'invalid') return;
    const slashed = ledger.slashEscrow(workerKey);
    if (slashed > 0n)
      options.logger.info({ worker: workerKey.slice(0, 12), slashed: slashed.toString() }, 'escrow forfeited for a caught result');
  });
}
