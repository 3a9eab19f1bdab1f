import type { ModelCatalogEntry, Tier } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import { openCluster } from './cluster/open-cluster.ts';
import { peerMessageLimiter } from './cluster/rate-limiters.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import type { SqlDatabase } from './db/sql-database.ts';
import { CoordinatorEventBus } from './events/coordinator-events.ts';
import { CoordinatorMetrics } from './http/coordinator-metrics.ts';
import { Lifecycle } from './lifecycle/startable.ts';
import { PeerSignalling } from './peers/peer-signalling.ts';
import { ReputationBook } from './reputation/reputation-book.ts';
import { BehaviourWatch } from './reputation/behaviour-watch.ts';
import { watchFailures } from './reputation/failure-watch.ts';
import { keepReputation } from './reputation/reputation-keeper.ts';
import type { AccountDirectory } from './rewards/account-directory.ts';
import { createSettlement } from './rewards/create-settlement.ts';
import { Ledger } from './rewards/ledger.ts';
import { keepRewards } from './rewards/rewards-keeper.ts';
import { withSiteAccounts } from './sites/site-accounts.ts';
import { SiteBook } from './sites/site-book.ts';
import { keepSiteCredit } from './sites/site-credit-keeper.ts';
import { sharePermille } from './sites/site-share.ts';
import { Dispatcher } from './tasks/dispatcher.ts';
import { TaskBook } from './tasks/task-book.ts';
import { claimSoleUse, createScaleOut, sharesNetwork } from './scale-out/create-scale-out.ts';
import { INSTANCE_DEAD_AFTER_MS, type ScaleOut } from './scale-out/scale-out.ts';
import { IdempotencyKeys } from './api/idempotency-keys.ts';
import { logTaskLifecycle } from './events/task-lifecycle-log.ts';
import { ApiKeyStore } from './keys/api-key-store.ts';
import { keepApiUsage } from './keys/api-usage-keeper.ts';
import { DeveloperStream } from './developer-stream/developer-stream.ts';
import { WebhookDeliverer } from './developer-stream/webhook-deliverer.ts';
import { WebhookDeliveries } from './developer-stream/webhook-deliveries.ts';
import { WebhookIntake } from './developer-stream/webhook-intake.ts';
import { ClusterAvailability } from './scale-out/cluster-availability.ts';
import { ClusterHandoffs } from './scale-out/cluster-handoffs.ts';
import { LocalAvailability } from './placement/model-availability.ts';
import { ClusterPeers } from './scale-out/cluster-peers.ts';
import { SharedQueue } from './scale-out/shared-queue.ts';
import { ClusterGuards } from './scale-out/cluster-guards.ts';
import { loadTokenizer } from './work/tokenizer-loader.ts';
import { WorkCounter } from './work/work-counter.ts';
import { LeaseReaper } from './tasks/lease-reaper.ts';
import { SqlTaskStore } from './tasks/sql-task-store.ts';
import { HashPins } from './models/hash-pins.ts';
import { ModelTrustMetrics } from './models/model-trust-metrics.ts';
import { CanaryBook } from './verification/canary-book.ts';
import { KnownAnswerChecks } from './verification/known-answer-checks.ts';
import { CoAppearanceWatch } from './verification/co-appearance-watch.ts';
import { PlantedChecks } from './verification/planted-checks.ts';
import { Verifier } from './verification/verifier.ts';
import { createWalletLinkService } from './wallet/wallet-link-service.ts';
import { AdmissionControl } from './workers/admission-control.ts';
import { admissionLimitsOf } from './workers/admission-policy.ts';
import { WorkerGateway } from './workers/worker-gateway.ts';
import { WorkerRegistry } from './workers/worker-registry.ts';
import type { WorkerSession } from './workers/worker-session.ts';

export interface CoordinatorCoreOptions {
  config: CoordinatorConfig;
  catalog: readonly ModelCatalogEntry[];
  db: SqlDatabase;
  logger: FastifyBaseLogger;
  /** Linked wallets; defaults to the wallet-link service. */
  accounts?: AccountDirectory;
}

/**
 * Builds the coordinator's parts and connects them; decides nothing itself. Each part's policy lives in
 * its own file (placement/eligibility.ts, tasks/task-transitions.ts, rewards/credit-policy.ts, …); the
 * keepers of reputation, rewards and metrics follow the event bus. Nothing runs until `lifecycle.start()`.
 */
export async function createCoordinatorCore(options: CoordinatorCoreOptions): Promise<CoordinatorContext> {
  const { config, catalog, db, logger } = options;
  // First, so an unreachable Redis ends start-up before anything else opens.
  const cluster = config.redisUrl === '' ? undefined : await openCluster({ url: config.redisUrl, prefix: config.redisPrefix, logger });
  const shared = sharesNetwork(db, cluster);
  if (!shared) claimSoleUse(db, config.redisPrefix);
  const events = new CoordinatorEventBus();
  // Several instances: the tasks this one accepts are its own until it places them or gives them back.
  const store = new SqlTaskStore(db, shared ? cluster.instanceId : null);
  const registry = new WorkerRegistry();
  const metrics = new CoordinatorMetrics();
  const reputation = new ReputationBook(db, Date.now, shared);
  const ledger = new Ledger(db, {
    epochLengthMs: config.epochLengthMs,
    newAccountCap: { amount: BigInt(config.newAccountEpochCap), epochs: config.newAccountEpochs },
  });
  // Order matters: a result is credited at the tier it was earned under, before reputation moves.
  keepRewards({ events, ledger, reputation, catalog, ratePerUnit: BigInt(config.rewardPerUnit), logger });
  const sites = new SiteBook(db);
  // A site's share is derived from the credit just booked, so it follows keepRewards, before reputation moves.
  const sharePermilleOfSites = sharePermille(config.siteShare);
  keepSiteCredit({
    events,
    ledger,
    sites,
    reputation,
    catalog,
    ratePerUnit: BigInt(config.rewardPerUnit),
    sharePermille: sharePermilleOfSites,
  });
  keepReputation(events, reputation);
  // Failing is not free: a tab that fails far more than its peers on a model stops getting it.
  watchFailures({ events, logger, reindex: (session) => gateway.reindex(session) });
  metrics.observe(events);
  logTaskLifecycle(events, logger);

  const wallet = createWalletLinkService({
    db,
    network: config.hederaNetwork,
    mirrorNodeUrl: config.mirrorNodeUrl,
    mirrorNodeTimeoutMs: config.mirrorNodeTimeoutMs,
    challengeTtlMs: config.walletChallengeTtlMs,
    walletConnectProjectId: config.walletConnectProjectId,
    distributorAddress: config.rewardDistributorAddress,
    logger,
  });
  // Sites registered with a Hedera account are paid to it; every other key through its wallet link.
  const accounts = withSiteAccounts(options.accounts ?? wallet, sites);
  const behaviour = new BehaviourWatch({ events, logger });
  const coAppearance = new CoAppearanceWatch();
  coAppearance.observe(events);
  // Several instances: a result no guard here may check goes to another instance's guards.
  const clusterGuards = shared
    ? new ClusterGuards({
        instanceId: cluster.instanceId,
        channel: cluster.channel,
        registry,
        verifier: () => verifier,
        checkTimeoutMs: config.checkTimeoutMs,
        logger,
      })
    : undefined;
  const verifier: Verifier = new Verifier({
    elsewhere: clusterGuards,
    registry,
    catalog,
    reputation,
    events,
    guardLeaseMs: config.guardLeaseMs,
    checkTimeoutMs: config.checkTimeoutMs,
    guardsFromOtherNetworks: config.guardsFromOtherNetworks,
    // Guards are checked too: known claims, planted at the rate a worker of the guard's record is checked.
    planted: config.plantedChecks
      ? new PlantedChecks({ decode: (model, tokenIds) => counter.decode(model, tokenIds), delayMs: config.plantedCheckDelayMs, logger })
      : undefined,
    raisedFloor: (workerKey) => behaviour.raisedFloor(workerKey),
    // One owner's keys (one linked Hedera account, or tabs one script starts and stops) never check each other.
    related: (guardKey, workerKey) => {
      const guardAccount = accounts.linkedAccount(guardKey)?.accountId;
      if (guardAccount !== undefined && guardAccount === accounts.linkedAccount(workerKey)?.accountId) return true;
      return coAppearance.linked(guardKey, workerKey);
    },
    logger,
  });
  // Several instances: seeders, signals and reports reach tabs on the others.
  const clusterPeers = shared ? new ClusterPeers({ channel: cluster.channel, registry, peers: () => peers }) : undefined;
  const peers: PeerSignalling = new PeerSignalling({
    elsewhere: () => clusterPeers,
    directory: registry,
    catalog,
    badSeederReports: config.badSeederReports,
    onReport: (report) => {
      logger.warn(
        { seeder: report.about, reporter: report.from, model: report.modelId, excluded: report.excluded },
        `seeder reported: ${report.reason}`,
      );
      metrics.peerReport(report.excluded);
    },
  });
  const counter = new WorkCounter({
    catalog,
    logger,
    load: (model) => loadTokenizer(model, { modelsDir: config.modelsDir, hubUrl: config.hubUrl }),
  });
  const tierOf = (session: WorkerSession): Tier => reputation.tier(session.key.publicKey);
  // Several instances: a tab may hand a task to a peer connected to another one.
  const handoffs = shared
    ? new ClusterHandoffs({
        instanceId: cluster.instanceId,
        channel: cluster.channel,
        registry,
        catalog,
        store,
        queue: new SharedQueue(db),
        dispatcher: () => dispatcher,
        peers,
        tierOf,
      })
    : undefined;
  // Developers' keys: priority, quotas, usage (a succeeded task's tokens count against its key).
  const keys = new ApiKeyStore(db);
  keepApiUsage(events, keys);
  // A task no tab (here, or with others on another instance) could serve is refused at once.
  const localAvailability = new LocalAvailability(registry);
  const clusterAvailability = shared ? new ClusterAvailability({ channel: cluster.channel, local: localAvailability }) : undefined;
  const book = new TaskBook({ store, registry, events, logger, now: Date.now, largeInputBytes: config.largeInputBytes });
  const dispatcher: Dispatcher = new Dispatcher({
    book,
    cancelElsewhere: (id, reason) => scaleOut?.cancelElsewhere(id, reason),
    handoffsElsewhere: handoffs,
    availability: clusterAvailability ?? localAvailability,
    store,
    registry,
    catalog,
    events,
    checker: verifier,
    counter,
    peers,
    tierOf,
    leaseMs: config.leaseMs,
    queueTimeoutMs: config.queueTimeoutMs,
    maxAttempts: config.maxAttempts,
    maxQueuedTasks: config.maxQueuedTasks,
    maxOpenBytes: config.maxOpenBytes,
    maxOpenBytesPerClient: config.maxOpenBytesPerClient,
    largeInputBytes: config.largeInputBytes,
    logger,
  });
  const trustMetrics = new ModelTrustMetrics(metrics.registry);
  const canaries = new CanaryBook({ db, catalog, onRecorded: (model) => trustMetrics.canaryRecorded(model) });
  canaries.listen(events);
  const hashPins = new HashPins({
    db,
    catalog,
    agreement: config.hashPinAgreement,
    counts: (key) => !['demoted', 'banned'].includes(reputation.tier(key)),
    sessions: () => registry.all(),
    logger,
    metrics: trustMetrics,
    onRefused: (session) => gateway.reindex(session),
  });
  const knownAnswers = new KnownAnswerChecks({
    catalog,
    answers: (model) => canaries.answers(model),
    runPinned: (spec, session) => dispatcher.runPinned(spec, session),
    isConnected: (session) => registry.get(session.nodeId) === session,
    waits: (session, model) => hashPins.awaits(session, model),
    events,
    repeatMeanMs: config.knownAnswerIntervalMs,
    logger,
    metrics: trustMetrics,
    onSettled: (session) => gateway.reindex(session),
  });
  const admission = new AdmissionControl({
    db,
    limits: admissionLimitsOf(config),
    trustProxy: config.trustProxy,
    events,
    // Several instances count tabs and new identities together; a dead instance's tabs hold no places.
    shared: shared ? { instanceId: cluster.instanceId, liveWithinMs: INSTANCE_DEAD_AFTER_MS } : undefined,
  });
  const gateway: WorkerGateway = new WorkerGateway({
    registry,
    dispatcher,
    verifier,
    knownAnswers,
    hashPins,
    events,
    peers,
    catalog,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    leaseMs: config.leaseMs,
    iceServers: config.iceServers,
    peerMessagesPerSecond: config.peerMessagesPerSecond,
    peerLimiter: peerMessageLimiter({ perSecond: config.peerMessagesPerSecond, shared: cluster?.limits }),
    helloTimeoutMs: 10_000,
    maxViolations: 50,
    admission,
    logger,
    metrics,
  });

  const scaleOut: ScaleOut | undefined = shared
    ? createScaleOut({ db, cluster, prefix: config.redisPrefix, store, book, dispatcher, registry, catalog, events, tierOf, logger })
    : undefined;
  const leads = scaleOut === undefined ? undefined : () => scaleOut.isLeader();
  const { chain, hcs, settler } = await createSettlement({ config, db, ledger, accounts, registry: metrics.registry, logger, leads });

  // Developers' task stream (/api) and webhooks; with others, any instance may deliver a webhook (one claims it).
  const developerStream = new DeveloperStream({ keys, tasks: dispatcher, events, logger, sharedDatabase: shared });
  const webhookDeliveries = new WebhookDeliveries(db);
  const webhooks = new WebhookIntake({ keys, deliveries: webhookDeliveries, allowPrivate: config.webhookAllowPrivate });
  const webhookDeliverer = new WebhookDeliverer({
    deliveries: webhookDeliveries,
    keys,
    tasks: dispatcher,
    events,
    claimant: cluster?.instanceId ?? randomUUID(),
    maxAttempts: config.webhookMaxAttempts,
    retryBaseMs: config.webhookRetryBaseMs,
    timeoutMs: config.webhookTimeoutMs,
    allowPrivate: config.webhookAllowPrivate,
    logger,
  });

  const lifecycle = new Lifecycle();
  // Alone, this process owns every open task in the store; with others, the leader takes over the dead's.
  if (scaleOut !== undefined) lifecycle.add(scaleOut);
  if (clusterGuards !== undefined) lifecycle.add(clusterGuards);
  if (clusterPeers !== undefined) lifecycle.add(clusterPeers);
  if (handoffs !== undefined) lifecycle.add(handoffs);
  if (clusterAvailability !== undefined) lifecycle.add(clusterAvailability);
  else lifecycle.add({ start: () => dispatcher.recover(), stop: () => undefined });
  lifecycle.add({ start: () => metrics.setQueued(dispatcher.openCounts().queued), stop: () => undefined });
  lifecycle.add(new LeaseReaper(dispatcher, Math.min(1000, config.leaseMs / 4, config.queueTimeoutMs / 4)));
  lifecycle.add(gateway);
  lifecycle.add(knownAnswers);
  lifecycle.add({ start: () => ledger.currentEpoch(), stop: () => verifier.stop() });
  lifecycle.add(settler);
  lifecycle.add({ start: () => undefined, stop: () => hcs?.close() });
  lifecycle.add(developerStream);
  lifecycle.add(webhookDeliverer);

  return {
    config,
    catalog,
    events,
    store,
    registry,
    dispatcher,
    metrics,
    reputation,
    verifier,
    peers,
    gateway,
    knownAnswers,
    canaries,
    hashPins,
    ledger,
    settler,
    accounts,
    wallet,
    sites,
    chain,
    lifecycle,
    cluster,
    scaleOut,
    idempotency: new IdempotencyKeys({ db, task: (id) => dispatcher.get(id) }),
    counter,
    keys,
    developerStream,
    webhooks,
    webhookDeliveries,
    availability: clusterAvailability ?? localAvailability,
    startedAt: Date.now(),
  };
}
