import type { ModelCatalogEntry } from '@tessera/shared';
import type { CoordinatorConfig } from './config.ts';
import type { Dispatcher } from './dispatch/dispatcher.ts';
import type { CoordinatorMetrics } from './http/coordinator-metrics.ts';
import type { TaskStore } from './queue/task-store.ts';
import type { WorkerRegistry } from './workers/worker-registry.ts';
import type { ReputationBook } from './identity/reputation-book.ts';
import type { Verifier } from './verification/verifier.ts';
import type { Ledger } from './rewards/ledger.ts';
import type { EpochSettler } from './rewards/epoch-settler.ts';
import type { AccountDirectory } from './rewards/account-directory.ts';

/** The parts routes need, built once in `buildApp`. */
export interface CoordinatorContext {
  config: CoordinatorConfig;
  catalog: readonly ModelCatalogEntry[];
  store: TaskStore;
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  metrics: CoordinatorMetrics;
  reputation: ReputationBook;
  verifier: Verifier;
  ledger: Ledger;
  settler: EpochSettler;
  accounts: AccountDirectory;
  startedAt: number;
}

/** Anonymous callers run behind anyone with a key (keys are a later feature); lower runs first. */
export const ANONYMOUS_PRIORITY = 10;
