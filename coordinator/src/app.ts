import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { PROTOCOL_VERSION, TesseraError, openAIErrorBody } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { join } from 'node:path';
import type { Server as SocketServer } from 'socket.io';
import { catalogRoute } from './api/catalog-route.ts';
import { anthropicCountTokensRoute } from './api/anthropic-count-tokens-route.ts';
import { anthropicMessagesRoute } from './api/anthropic-messages-route.ts';
import { chatCompletionsRoute } from './api/chat-completions-route.ts';
import { completionsRoute } from './api/completions-route.ts';
import { embeddingsRoute } from './api/embeddings-route.ts';
import { modelsRoute } from './api/models-route.ts';
import { ollamaRoutes } from './api/ollama-routes.ts';
import { ResponseStore } from './api/response-store.ts';
import { responsesRoute } from './api/responses-route.ts';
import { storedResponsesRoute } from './api/stored-responses-route.ts';
import { networkRoute, networkSnapshot } from './api/network-route.ts';
import { tasksRoute } from './api/tasks-route.ts';
import { currentApiKey, installApiKeyAuth } from './keys/api-key-auth.ts';
import { apiKeyRoutes } from './keys/api-key-routes.ts';
import { keyedTasks } from './keys/keyed-tasks.ts';
import { installHttpMetrics } from './http/http-metrics.ts';
import { OPENAPI_SECURITY_SCHEMES, openApiTransform } from './http/openapi-transform.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorContext } from './coordinator-context.ts';
import { createCoordinatorCore } from './coordinator-core.ts';
import { httpRateLimitStore } from './cluster/rate-limiters.ts';
import { openDatabase } from './db/open-database.ts';
import { healthRoutes } from './http/health-routes.ts';
import { installOpenAIErrorHandler } from './http/openai-error-handler.ts';
import { loadCatalog } from './models/catalog-file.ts';
import { securityHeaders } from './http/security-headers.ts';
import { registerApiCors } from './http/api-cors.ts';
import { registerStaticHosting } from './http/static-hosting.ts';
import { workerSocketPlugin } from './http/worker-socket-plugin.ts';
import { ObserverHistoryStore } from './observers/observer-history.ts';
import { OBSERVER_KEEP_MS, ObserverStream } from './observers/observer-stream.ts';
import type { AccountDirectory } from './rewards/account-directory.ts';
import { rewardsRoutes } from './rewards/rewards-routes.ts';
import { sitesRoutes } from './sites/sites-routes.ts';
import { widgetHosting } from './widget/widget-hosting.ts';
import { walletRoutes } from './wallet/wallet-routes.ts';
import { proxyTrust } from './workers/admission-address.ts';
import { admissionLimitsOf } from './workers/admission-policy.ts';
import { admissionRoute } from './workers/admission-route.ts';

export interface BuildAppOptions {
  config: CoordinatorConfig;
  /** fastify's logger option; `false` in tests. */
  logger?: FastifyServerOptions['logger'];
  catalog?: readonly ModelCatalogEntry[];
  /** SQLite file; defaults to `<dataDir>/tessera.db`. `:memory:` for throwaway apps. Unused with `config.databaseUrl`. */
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
/** Where developers call with API keys; the pages' own reads (network, rewards, wallet…) take none. */
const KEYED_PREFIXES = ['/v1/', '/api/v1/tasks', '/api/v1/usage', '/api/chat', '/api/generate', '/api/embed', '/api/tags', '/api/show'];

/** Query parameters that may carry secrets (a development wallet key) never reach the log. */
export function redactUrl(url: string): string {
  return url.replace(/([?&;#](?:walletKey|key|token|apiKey)=)[^&#;]*/gi, '$1[redacted]');
}

function redactedRequest(request: { method: string; url: string; ip?: string }): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
}

/**
 * Builds the coordinator, not yet listening: the parts (`createCoordinatorCore`), then one fastify plugin
 * per concern, each given only what it needs. Long-lived loops start with `ready()` and stop with `close()`.
 *
 * @example
 * const app = await buildApp({ config: loadConfig() });
 * await app.listen({ port: 8787 });
 */
export async function buildApp(options: BuildAppOptions): Promise<CoordinatorApp> {
  const { config } = options;
  const catalog = options.catalog ?? loadCatalog(config.catalog);
  const logger = options.logger ?? { level: config.logLevel };
  const app = Fastify({
    logger: typeof logger === 'object' && logger !== null ? { ...logger, serializers: { req: redactedRequest } } : logger,
    bodyLimit: config.bodyLimitBytes,
    // Past fastify's default of 100 characters a path parameter makes the route not found; the routes' own
    // bounds (a response id ≤ 200) then answer with a 400 naming the parameter. No route has a regex parameter.
    routerOptions: { maxParamLength: 1000 },
    // Pages and tabs poll: a line per request would bury the one line per task (events/task-lifecycle-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // The same trust as the tab sockets' (workers/admission-address.ts): one client address for both.
    trustProxy: config.trustProxy === '' ? false : proxyTrust(config.trustProxy),
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request answered');
    done();
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installOpenAIErrorHandler(app);
  // The API takes JSON only; without this, fastify would hand a text/plain body to the JSON schema.
  app.removeContentTypeParser('text/plain');

  // PostgreSQL when TESSERA_DATABASE_URL is set (its migrations run here, before anything reads), else SQLite.
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    file: options.databaseFile ?? join(config.dataDir, 'tessera.db'),
    log: (message) => app.log.info(`postgres migrations: ${message}`),
  });
  const core = await createCoordinatorCore({ config, catalog, db, logger: app.log, accounts: options.accounts });
  app.addHook('onReady', async () => core.lifecycle.start());
  app.addHook('preClose', async () => core.lifecycle.stop());
  app.addHook('onClose', async () => db.close());
  // After the tab sockets closed (preClose): the socket.io adapter needs Redis until then.
  app.addHook('onClose', async () => core.cluster?.close());

  await app.register(fastifyHelmet, securityHeaders(config.hubUrl));
  await registerApiCors(app, config.corsOrigins);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      servers: [{ url: '/', description: 'this coordinator' }],
      components: { securitySchemes: OPENAPI_SECURITY_SCHEMES },
      info: {
        title: 'Tessera coordinator API',
        version: `protocol ${PROTOCOL_VERSION}`,
        description:
          'OpenAI-compatible inference served by volunteer browser tabs, plus native async tasks.\n\n' +
          '**Who sees your prompt:** the coordinator, the volunteer tab that runs the task (any browser that joined) and, ' +
          'when the result is sampled for checking, one or two guard tabs; nobody learns who asked. Send ' +
          '`x-tessera-min-tier: trusted` (or `veteran`) to keep a task to tabs and guards of proven standing; it may wait longer. ' +
          'Usage in every answer is counted by the coordinator, never taken from the tab.',
      },
      tags: [
        { name: 'OpenAI', description: 'Drop-in for the OpenAI API: point the official client at this server' },
        { name: 'Anthropic', description: "Anthropic's Messages API: point its SDK's baseURL at this server" },
        {
          name: 'Ollama',
          description: "Ollama's API (/api/chat, /api/generate, /api/embed, /api/tags): point an Ollama client's host here",
        },
        { name: 'Tasks', description: 'Submit, poll and cancel tasks asynchronously' },
        { name: 'Network', description: 'State of the volunteer network' },
        { name: 'Rewards', description: 'Credit, epochs and claims' },
        { name: 'Wallet', description: 'Link a Hedera account to a tab key, for rewards' },
        { name: 'Sites', description: 'Sites that embed the widget, and their share' },
        { name: 'Keys', description: 'API keys for developers (admin), and each key’s usage' },
        { name: 'Operations', description: 'Health and metrics' },
      ],
    },
    transform: openApiTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  installHttpMetrics(app, core.metrics.registry);
  // Before the rate limit, which then counts per key; the key reaches the submitting code (`keyedTasks`).
  installApiKeyAuth(app, {
    keys: core.keys,
    required: config.requireApiKey,
    applies: (url) => KEYED_PREFIXES.some((prefix) => url.startsWith(prefix)),
  });
  if (config.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      max: () => currentApiKey()?.requestsPerMinute ?? config.rateLimitPerMinute,
      keyGenerator: (request) => {
        const key = currentApiKey();
        return key === null ? request.ip : `key:${key.id}`;
      },
      timeWindow: 60_000,
      ...httpRateLimitStore(core.cluster?.limits),
      allowList: (request) => !API_PREFIXES.some((prefix) => request.url.startsWith(prefix)),
      errorResponseBuilder: (_request, context) =>
        new TesseraError('rate_limited', `Rate limit of ${context.max} requests per minute reached; retry in ${context.after}.`),
    });
  }

  const { registry, metrics } = core;
  const tasks = keyedTasks(core.dispatcher, core.keys, (keyId, record) => core.developerStream.keySubmitted(keyId, record));
  const observers = new ObserverStream({
    events: core.events,
    history: new ObserverHistoryStore(db, OBSERVER_KEEP_MS),
    snapshot: () => networkSnapshot(core),
    logger: app.log,
    ...(core.scaleOut === undefined ? {} : { samples: () => core.scaleOut?.isLeader() === true }),
  });
  core.lifecycle.add(observers);
  // The dashboard's `/observers` namespace rides on the same socket.io server as the developers' `/api`.
  const developers = { listen: (io: SocketServer) => [core.developerStream, observers].forEach((part) => part.listen(io)) };
  await app.register(workerSocketPlugin, { gateway: core.gateway, cluster: core.cluster?.sockets, developers });
  const { idempotency } = core;
  const { abandonGraceMs } = config;
  const tokenTexts = (modelId: string): Promise<((tokenId: number) => string) | null> => core.counter.tokenText(modelId);
  await app.register(chatCompletionsRoute, { catalog, tasks, idempotency, abandonGraceMs, keepAliveMs: config.keepAliveMs, tokenTexts });
  await app.register(embeddingsRoute, { catalog, tasks, idempotency, abandonGraceMs });
  // The same tasks through other APIs' shapes (src/api/submit-api-task.ts).
  const keepAliveMs = config.keepAliveMs;
  await app.register(completionsRoute, { catalog, tasks, idempotency, abandonGraceMs, keepAliveMs });
  const responses = new ResponseStore({ db });
  await app.register(responsesRoute, { catalog, tasks, idempotency, abandonGraceMs, keepAliveMs, responses });
  await app.register(storedResponsesRoute, { responses });
  await app.register(anthropicMessagesRoute, { catalog, tasks, idempotency, abandonGraceMs, keepAliveMs });
  await app.register(anthropicCountTokensRoute, { catalog, counter: core.counter });
  await app.register(ollamaRoutes, { catalog, tasks, availability: core.availability, idempotency, abandonGraceMs, keepAliveMs });
  await app.register(modelsRoute, { catalog, availability: core.availability, startedAt: core.startedAt });
  await app.register(catalogRoute, { catalog, hubUrl: config.hubUrl });
  await app.register(tasksRoute, { catalog, tasks, registry, metrics, idempotency, webhooks: core.webhooks });
  await app.register(networkRoute, { snapshot: () => networkSnapshot(core) });
  await app.register(admissionRoute, { limits: admissionLimitsOf(config) });
  await app.register(walletRoutes, { wallet: core.wallet });
  await app.register(apiKeyRoutes, { keys: core.keys, adminToken: config.adminToken });
  await app.register(healthRoutes, { store: core.store, registry, tasks, metrics, startedAt: core.startedAt });
  await app.register(rewardsRoutes, { ledger: core.ledger, accounts: core.accounts, reputation: core.reputation, chain: core.chain });
  await app.register(sitesRoutes, { sites: core.sites });
  // Its COOP/COEP headers hold for every answer, so it is registered on the root, not encapsulated.
  await registerStaticHosting(app, { clientDir: config.clientDir, modelsDir: config.modelsDir });
  await app.register(widgetHosting, { clientDir: config.clientDir, hubUrl: config.hubUrl });

  app.setNotFoundHandler((request, reply) => {
    if (API_PREFIXES.some((prefix) => request.url.startsWith(prefix))) {
      return reply
        .code(404)
        .send(openAIErrorBody('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}. See /docs.`));
    }
    return reply.code(404).type('text/plain').send('Not found');
  });

  app.decorate('tessera', core);
  return app;
}
