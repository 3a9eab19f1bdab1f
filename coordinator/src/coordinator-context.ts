import type { ModelCatalogEntry } from '@tessera/shared';
import type { IdempotencyKeys } from './api/idempotency-keys.ts';
import type { ApiKeyStore } from './keys/api-key-store.ts';
import type { DeveloperStream } from './developer-stream/developer-stream.ts';
import type { WebhookDeliveries } from './developer-stream/webhook-deliveries.ts';
import type { WebhookIntake } from './developer-stream/webhook-intake.ts';
import type { ModelAvailability } from './placement/model-availability.ts';
import type { Cluster } from './cluster/open-cluster.ts';
import type { ScaleOut } from './scale-out/scale-out.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorEventBus } from './events/coordinator-events.ts';
import type { CoordinatorMetrics } from './http/coordinator-metrics.ts';
import type { Lifecycle } from './lifecycle/startable.ts';
import type { PeerSignalling } from './peers/peer-signalling.ts';
import type { ReputationBook } from './reputation/reputation-book.ts';
import type { AccountDirectory } from './rewards/account-directory.ts';
import type { EpochSettler } from './rewards/epoch-settler.ts';
import type { Ledger } from './rewards/ledger.ts';
import type { RewardChain } from './rewards/reward-chain.ts';
import type { SiteBook } from './sites/site-book.ts';
import type { Dispatcher } from './tasks/dispatcher.ts';
import type { TaskStore } from './tasks/task-store.ts';
import type { HashPins } from './models/hash-pins.ts';
import type { CanaryBook } from './verification/canary-book.ts';
import type { KnownAnswerChecks } from './verification/known-answer-checks.ts';
import type { Verifier } from './verification/verifier.ts';
import type { WalletLinkService } from './wallet/wallet-link-service.ts';
import type { WorkerGateway } from './workers/worker-gateway.ts';
import type { WorkerRegistry } from './workers/worker-registry.ts';
import type { WorkCounter } from './work/work-counter.ts';

/**
 * The coordinator's parts, built once by `createCoordinatorCore`; `app.ts` hands each plugin the few it
 * needs. Exposed as `app.tessera` for tests and tools that embed the app.
 */
export interface CoordinatorContext {
  config: CoordinatorConfig;
  catalog: readonly ModelCatalogEntry[];
  events: CoordinatorEventBus;
  store: TaskStore;
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  metrics: CoordinatorMetrics;
  reputation: ReputationBook;
  verifier: Verifier;
  peers: PeerSignalling;
  gateway: WorkerGateway;
  /** Known-answer checks on join and at random times; their known answers; file hashes pinned by agreement. */
  knownAnswers: KnownAnswerChecks;
  canaries: CanaryBook;
  hashPins: HashPins;
  ledger: Ledger;
  settler: EpochSettler;
  accounts: AccountDirectory;
  wallet: WalletLinkService;
  /** Sites that embed the widget, and the tasks served through each. */
  sites: SiteBook;
  chain: RewardChain | undefined;
  /** The long-lived loops, started when the app is ready and stopped before it closes. */
  lifecycle: Lifecycle;
  /** What is shared with other instances over Redis (`TESSERA_REDIS_URL`); undefined when running alone. */
  cluster: Cluster | undefined;
  /** This instance's part in a network of several (PostgreSQL and Redis); undefined when running alone. */
  scaleOut: ScaleOut | undefined;
  /** Which models some tab could serve, and how many serve each: here, or across instances. */
  availability: ModelAvailability;
  /** Developers' API keys: priority, quotas and usage. */
  keys: ApiKeyStore;
  /** The `/api` namespace: developers follow their keys' tasks. */
  developerStream: DeveloperStream;
  /** `webhook_url` on async tasks: accepted at submit, delivered from `webhookDeliveries` when the task ends. */
  webhooks: WebhookIntake;
  webhookDeliveries: WebhookDeliveries;
  /** `Idempotency-Key` on the API's POSTs. */
  idempotency: IdempotencyKeys;
  /** The coordinator's own count of tokens, with each model's tokenizer: results' usage, and prompts before they run. */
  counter: WorkCounter;
  startedAt: number;
}
