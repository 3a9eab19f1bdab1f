import type { ModelCatalogEntry } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { ReputationBook } from '../reputation/reputation-book.ts';
import { creditPolicy, guardCreditPolicy } from './credit-policy.ts';
import type { Ledger } from './ledger.ts';

/**
 * Books rewards from what happened: credit for each delivered result, inside the transaction that stores
 * it (never lost, never doubled), credit for each check a guard completes, and the forfeit of a caught
 * tab's escrow (a worker caught by a guard, a guard caught by a planted check).
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
  const forfeit = (key: string, why: string) => {
    const slashed = ledger.slashEscrow(key);
    if (slashed > 0n) options.logger.info({ worker: key.slice(0, 12), slashed: slashed.toString() }, `escrow forfeited for ${why}`);
  };
  events.on('verify:checked', ({ workerKey, verdict }) => {
    if (verdict === 'invalid') forfeit(workerKey, 'a caught result');
  });
  events.on('guard:checked', ({ guardKey, jobId, model, units }) => {
    ledger.credit(guardCreditPolicy({ guardKey, jobId, model, units, tier: reputation.tier(guardKey), catalog, ratePerUnit }));
  });
  events.on('guard:tested', ({ guardKey, passed }) => {
    if (!passed) forfeit(guardKey, 'a failed planted check');
  });
}
