import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { MODEL_CATALOG, PROTOCOL_VERSION, TesseraError, openAIErrorBody } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { join } from 'node:path';
import { Server as SocketServer } from 'socket.io';
import { registerChatCompletionsRoute } from './api/chat-completions-route.ts';
import { registerEmbeddingsRoute } from './api/embeddings-route.ts';
import { registerModelsRoute } from './api/models-route.ts';
import { registerNetworkRoute } from './api/network-route.ts';
import { registerTasksRoute } from './api/tasks-route.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { openDatabase } from './db/open-database.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { CoordinatorMetrics } from './http/coordinator-metrics.ts';
import { registerHealthRoutes } from './http/health-routes.ts';
import { installOpenAIErrorHandler } from './http/openai-error-handler.ts';
import { registerStaticHosting } from './http/static-hosting.ts';
import { TaskStore } from './queue/task-store.ts';
import { WorkerGateway } from './workers/worker-gateway.ts';
import { ReputationBook } from './identity/reputation-book.ts';
import { Verifier } from './verification/verifier.ts';
import { CapabilityProbe } from './verification/capability-probe.ts';
import { TIER_PLACEMENT_RANK, creditFor, findModel as findCatalogModel, tierOf, workUnits } from '@tessera/shared';
import { Ledger } from './rewards/ledger.ts';
import { EpochSettler } from './rewards/epoch-settler.ts';
import { createSkippingHcsPublisher, createSdkHcsPublisher, type HcsPublisher } from './rewards/hcs-publisher.ts';
import { createViemRewardChain, type RewardChain } from './rewards/reward-chain.ts';
import { registerRewardsRoutes } from './rewards/rewards-routes.ts';
import type { AccountDirectory, EvmAddress } from './rewards/account-directory.ts';
import { createWalletLinkService } from './wallet/wallet-link-service.ts';
import { registerWalletRoutes } from './wallet/wallet-routes.ts';
import { PeerSignalling } from './peers/peer-signalling.ts';
import { WorkerRegistry } from './workers/worker-registry.ts';

export interface BuildAppOptions {
  config: CoordinatorConfig;
  /** fastify's logger option; `false` in tests. */
  logger?: FastifyServerOptions['logger'];
  catalog?: readonly ModelCatalogEntry[];
  /** SQLite file; defaults to `<dataDir>/tessera.db`. `:memory:` for throwaway apps. */
  databaseFile?: string;
  /** Linked wallets; defaults to the wallet-link service (tests may pass their own). */
  accounts?: AccountDirectory;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The coordinator's parts, for tests and tools that embed the app. */
    tessera: CoordinatorContext;
  }
}

export type CoordinatorApp = FastifyInstance;

const API_PREFIXES = ['/v1/', '/api/'];

/** Query parameters that may carry secrets (a development wallet key) never reach the log. */
export function redactUrl(url: string): string {
  return url.replace(/([?&;#](?:walletKey|key|token|apiKey)=)[^&#;]*/gi, '$1[redacted]');
}

function redactedRequest(request: { method: string; url: string; ip?: string }): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
}

/**
 * Builds the coordinator: HTTP API, worker gateway, queue and pages, not yet listening. Long-lived loops
 * (lease reaper, heartbeat sweeper) start with `ready()` and stop with `close()`.
 *
 * @example
 * const app = await buildApp({ config: loadConfig() });
 * await app.listen({ port: 8787 });
 */
export async function buildApp(options: BuildAppOptions): Promise<CoordinatorApp> {
  const { config } = options;
  const catalog = options.catalog ?? MODEL_CATALOG;
  const logger = options.logger ?? { level: config.logLevel };
  const app = Fastify({
    logger: typeof logger === 'object' && logger !== null ? { ...logger, serializers: { req: redactedRequest } } : logger,
    bodyLimit: config.bodyLimitBytes,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installOpenAIErrorHandler(app);
  // The API takes JSON only; without this, fastify would hand a text/plain body to the JSON schema.
  app.removeContentTypeParser('text/plain');

  const db = openDatabase(options.databaseFile ?? join(config.dataDir, 'tessera.db'));
  const store = new TaskStore(db);
  const registry = new WorkerRegistry();
  const metrics = new CoordinatorMetrics();
  const reputation = new ReputationBook(db);
  const ledger = new Ledger(db, { epochLengthMs: config.epochLengthMs });
  const ratePerUnit = BigInt(config.rewardPerUnit);
  const wallet = createWalletLinkService({
    db,
    network: config.hederaNetwork,
    mirrorNodeUrl: config.mirrorNodeUrl,
    mirrorNodeTimeoutMs: config.mirrorNodeTimeoutMs,
    challengeTtlMs: config.walletChallengeTtlMs,
    walletConnectProjectId: config.walletConnectProjectId,
    distributorAddress: config.rewardDistributorAddress,
    logger: app.log,
  });
  const accounts: AccountDirectory = options.accounts ?? wallet;
  const verifier = new Verifier({ onCaught: (workerKey) => ledger.slashEscrow(workerKey), registry, catalog, reputation, guardLeaseMs: config.guardLeaseMs, checkTimeoutMs: config.checkTimeoutMs, logger: app.log });
  const peers = new PeerSignalling({
    directory: registry,
    catalog,
    badSeederReports: config.badSeederReports,
    onReport: (report) => {
      app.log.warn({ seeder: report.about, reporter: report.from, model: report.modelId, excluded: report.excluded }, `seeder reported: ${report.reason}`);
      metrics.peerReport(report.excluded);
    },
  });
  const dispatcher = new Dispatcher({
    checker: verifier,
    peers,
    onSucceeded: (record, session) => {
      if (record.result === null) return;
      const tier = tierOf(reputation.get(session.key.publicKey));
      const units = workUnits(record.result.output, record.result.usage);
      const modelMultiplier = findCatalogModel(catalog, record.spec.model)?.rewardMultiplier ?? 0;
      // Newcomers' unconfirmed work waits in escrow until the epoch closes; a catch forfeits it.
      const escrow = record.result.check !== 'passed' && (tier === 'probation' || tier === 'demoted');
      ledger.credit({ taskId: record.id, publicKey: session.key.publicKey, model: record.spec.model, units, amount: creditFor({ units, ratePerUnit, modelMultiplier, tier }), escrow });
    },
    reputation,
    placementRank: (session) => TIER_PLACEMENT_RANK[tierOf(reputation.get(session.key.publicKey))],
    store,
    registry,
    catalog,
    leaseMs: config.leaseMs,
    queueTimeoutMs: config.queueTimeoutMs,
    maxAttempts: config.maxAttempts,
    maxQueuedTasks: config.maxQueuedTasks,
    reapIntervalMs: Math.min(1000, config.leaseMs / 4, config.queueTimeoutMs / 4),
    logger: app.log,
    metrics,
  });
  const chain: RewardChain | undefined =
    config.evmRpcUrl !== '' && config.rewardDistributorAddress !== '' && config.settlementPrivateKey !== ''
      ? await createViemRewardChain({ rpcUrl: config.evmRpcUrl, distributorAddress: config.rewardDistributorAddress as EvmAddress, privateKey: config.settlementPrivateKey as EvmAddress })
      : undefined;
  const hcs: HcsPublisher & { close?: () => void } =
    config.hederaOperatorId !== '' && config.hederaOperatorKey !== '' && config.hcsTopicId !== '' && config.hederaNetwork !== 'local'
      ? createSdkHcsPublisher({ network: config.hederaNetwork, operatorId: config.hederaOperatorId, operatorKey: config.hederaOperatorKey, topicId: config.hcsTopicId })
      : createSkippingHcsPublisher((message) => app.log.info(message));
  const settler = new EpochSettler({ ledger, directory: accounts, chain, hcs, logger: app.log, intervalMs: Math.min(5000, Math.max(250, config.epochLengthMs / 10)) });
  const context: CoordinatorContext = { config, catalog, store, registry, dispatcher, metrics, reputation, verifier, ledger, settler, accounts, startedAt: Date.now() };

  const io = new SocketServer(app.server, {
    serveClient: false,
    // Embedding results for a full batch are a few MB of JSON; anything larger is refused by socket.io.
    maxHttpBufferSize: 16 * 1024 * 1024,
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  const probe = new CapabilityProbe({ catalog, leaseMs: config.leaseMs, logger: app.log, onSettled: (session) => gateway.reindex(session) });
  const gateway: WorkerGateway = new WorkerGateway({
    io,
    registry,
    dispatcher,
    verifier,
    probe,
    reputation,
    peers,
    catalog,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    leaseMs: config.leaseMs,
    iceServers: config.iceServers,
    peerMessagesPerSecond: config.peerMessagesPerSecond,
    helloTimeoutMs: 10_000,
    maxViolations: 50,
    logger: app.log,
    metrics,
  });

  app.addHook('onReady', async () => {
    ledger.currentEpoch();
    dispatcher.start();
    gateway.start();
    settler.start();
  });
  app.addHook('preClose', async () => {
    gateway.stop();
    dispatcher.stop();
    verifier.stop();
    await settler.stop();
    hcs.close?.();
    // Close tab connections ourselves so the HTTP server can shut down; io.close() would close it twice.
    io.disconnectSockets(true);
    io.of('/worker').disconnectSockets(true);
    io.engine.close();
  });
  app.addHook('onClose', async () => {
    db.close();
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Tessera coordinator API',
        version: `protocol ${PROTOCOL_VERSION}`,
        description: 'OpenAI-compatible inference served by volunteer browser tabs, plus native async tasks.',
      },
      tags: [
        { name: 'OpenAI', description: 'Drop-in for the OpenAI API: point the official client at this server' },
        { name: 'Tasks', description: 'Submit, poll and cancel tasks asynchronously' },
        { name: 'Network', description: 'State of the volunteer network' },
        { name: 'Rewards', description: 'Credit, epochs and claims' },
        { name: 'Wallet', description: 'Link a Hedera account to a tab key, for rewards' },
        { name: 'Operations', description: 'Health and metrics' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  if (config.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      allowList: (request) => !API_PREFIXES.some((prefix) => request.url.startsWith(prefix)),
      errorResponseBuilder: (_request, context) =>
        new TesseraError('rate_limited', `Rate limit of ${context.max} requests per minute reached; retry in ${context.after}.`),
    });
  }

  registerChatCompletionsRoute(app, context);
  registerEmbeddingsRoute(app, context);
  registerModelsRoute(app, context);
  registerTasksRoute(app, context);
  registerNetworkRoute(app, context);
  registerWalletRoutes(app, { wallet });
  registerHealthRoutes(app, context);
  registerRewardsRoutes(app, { ledger, accounts, reputation, chain });
  await registerStaticHosting(app, { clientDir: config.clientDir, modelsDir: config.modelsDir });

  app.setNotFoundHandler((request, reply) => {
    if (API_PREFIXES.some((prefix) => request.url.startsWith(prefix))) {
      return reply.code(404).send(openAIErrorBody('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}. See /docs.`));
    }
    return reply.code(404).type('text/plain').send('Not found');
  });

  app.decorate('tessera', context);
  return app;
}
