import { z } from 'zod';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { DEFAULT_IDENTITY_PROOF_BITS, iceServerSchema } from '@tessera/shared';
import { SETTLEMENT_CONFIG_FIELDS } from './config-settlement-fields.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Every setting of the coordinator, with its default, env variable and help text in one table. */
export const CONFIG_FIELDS = {
  host: { env: 'HOST', help: 'address to listen on', schema: z.string().default('127.0.0.1') },
  port: { env: 'PORT', help: 'port to listen on', schema: z.coerce.number().int().min(0).max(65535).default(8787) },
  dataDir: { env: 'TESSERA_DATA_DIR', help: 'folder for the SQLite database', schema: z.string().default(resolve(repoRoot, 'data')) },
  databaseUrl: {
    env: 'TESSERA_DATABASE_URL',
    help: 'postgres://user:password@host:port/database to keep all durable state in PostgreSQL (several coordinators can share it; needs libpq-dev for pg-native); empty: SQLite in the data dir',
    schema: z
      .string()
      .regex(/^(postgres(ql)?:\/\/.*)?$/, 'a postgres:// or postgresql:// URL, or empty')
      .default(''),
  },
  modelsDir: {
    env: 'TESSERA_MODELS_DIR',
    help: 'folder of mirrored model files served at /models/',
    schema: z.string().default(resolve(repoRoot, 'coordinator/models')),
  },
  hubUrl: {
    env: 'TESSERA_HUB_URL',
    help: 'model hub (or an operator mirror of it) the tokenizers of hub models are loaded from, as tabs load them',
    schema: z.string().url().default('https://huggingface.co'),
  },
  catalog: {
    env: 'TESSERA_CATALOG',
    help: 'JSON model catalog (npm run models:hash writes one) whose entries replace built-in ones of the same id or add to them; empty: the built-in catalog',
    schema: z.string().default(''),
  },
  clientDir: {
    env: 'TESSERA_CLIENT_DIR',
    help: 'built pages served at / (npm run build)',
    schema: z.string().default(resolve(repoRoot, 'client/dist')),
  },
  leaseMs: {
    env: 'TESSERA_LEASE_MS',
    help: 'how long a tab may go without progress on a task before it is requeued',
    schema: z.coerce.number().int().min(100).default(30_000),
  },
  queueTimeoutMs: {
    env: 'TESSERA_QUEUE_TIMEOUT_MS',
    help: 'how long a task waits for a capable tab before failing with no_capacity',
    schema: z.coerce.number().int().min(100).default(120_000),
  },
  maxAttempts: {
    env: 'TESSERA_MAX_ATTEMPTS',
    help: 'tabs a task is tried on before it fails',
    schema: z.coerce.number().int().min(1).max(20).default(3),
  },
  maxOpenBytes: {
    env: 'TESSERA_MAX_OPEN_BYTES',
    help: 'bytes of task input the coordinator holds for open (queued or running) tasks in all; beyond it the API answers 503 queue_full',
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .default(256 * 1024 * 1024),
  },
  maxOpenBytesPerClient: {
    env: 'TESSERA_MAX_OPEN_BYTES_PER_CLIENT',
    help: 'bytes of task input one client (address) may have open at once; beyond it the API answers 429 client_queue_full',
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
  },
  largeInputBytes: {
    env: 'TESSERA_LARGE_INPUT_BYTES',
    help: 'queued task inputs at least this large wait in the database rather than in memory until a tab takes them',
    schema: z.coerce
      .number()
      .int()
      .min(1)
      .default(64 * 1024),
  },
  maxQueuedTasks: {
    env: 'TESSERA_MAX_QUEUED_TASKS',
    help: 'queued tasks beyond which the API answers 503 queue_full',
    schema: z.coerce.number().int().min(1).default(100_000),
  },
  guardLeaseMs: {
    env: 'TESSERA_GUARD_LEASE_MS',
    help: 'how long one guard has to answer a check before another is asked',
    schema: z.coerce.number().int().min(100).default(15_000),
  },
  checkTimeoutMs: {
    env: 'TESSERA_CHECK_TIMEOUT_MS',
    help: 'how long a check may take before the result is delivered unverified',
    schema: z.coerce.number().int().min(100).default(30_000),
  },
  keepAliveMs: {
    env: 'TESSERA_SSE_KEEPALIVE_MS',
    help: 'how often a waiting server-sent event stream gets a keep-alive comment, so proxies and clients do not time it out',
    schema: z.coerce.number().int().min(10).default(15_000),
  },
  abandonGraceMs: {
    env: 'TESSERA_ABANDON_GRACE_MS',
    help: 'how long the task of a caller that left, having sent an Idempotency-Key, waits for its retry before it is cancelled',
    schema: z.coerce.number().int().min(0).default(10_000),
  },
  heartbeatIntervalMs: {
    env: 'TESSERA_HEARTBEAT_MS',
    help: 'how often tabs send heartbeats; three missed ones drop a tab',
    schema: z.coerce.number().int().min(100).default(5_000),
  },
  bodyLimitBytes: {
    env: 'TESSERA_BODY_LIMIT_BYTES',
    help: 'largest accepted request body',
    schema: z.coerce.number().int().min(1024).default(1_048_576),
  },
  rateLimitPerMinute: {
    env: 'TESSERA_RATE_LIMIT_PER_MINUTE',
    help: 'API requests per minute per client address (0 disables)',
    schema: z.coerce.number().int().min(0).default(600),
  },
  ...SETTLEMENT_CONFIG_FIELDS,
  iceServers: {
    env: 'TESSERA_ICE_SERVERS',
    help: 'STUN/TURN servers for tab-to-tab links, as JSON: [{"urls":"stun:stun.example.org:3478"},{"urls":"turn:turn.example.org","username":"u","credential":"p"}]; empty: host candidates only (same network)',
    schema: z
      .string()
      .default('[]')
      .transform((text, context) => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          context.addIssue({ code: 'custom', message: 'not JSON: give a JSON array of {urls, username?, credential?}' });
          return z.NEVER;
        }
        const parsed = z.array(iceServerSchema).max(8).safeParse(value);
        if (!parsed.success) {
          context.addIssue({ code: 'custom', message: `not a list of ICE servers: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
          return z.NEVER;
        }
        return parsed.data;
      }),
  },
  peerMessagesPerSecond: {
    env: 'TESSERA_PEER_MESSAGES_PER_SECOND',
    help: 'peer:seek, peer:signal and peer:report a tab may send per second; more are refused with rate_limited',
    schema: z.coerce.number().int().min(1).default(100),
  },
  badSeederReports: {
    env: 'TESSERA_BAD_SEEDER_REPORTS',
    help: 'distinct tabs that must report a seeder for bad bytes before it is no longer introduced as one',
    schema: z.coerce.number().int().min(1).default(2),
  },
  hashPinAgreement: {
    env: 'TESSERA_HASH_PIN_AGREEMENT',
    help: 'distinct tab keys that must report the same sha256 for a file of a hub model the catalog gives no hashes before it is pinned; tabs whose bytes differ from a pin are refused that model',
    schema: z.coerce.number().int().min(1).default(3),
  },
  knownAnswerIntervalMs: {
    env: 'TESSERA_KNOWN_ANSWER_INTERVAL_MS',
    help: 'mean time between repeated known-answer checks of each model a tab serves (random, exponential); 0: only on join',
    schema: z.coerce.number().int().min(0).default(600_000),
  },
  plantedChecks: {
    env: 'TESSERA_PLANTED_CHECKS',
    help: 'now and then hand a guard a claim whose verdict is known (a result two guards confirmed, or a copy with one token swapped), at the rate a worker of its record is checked; a guard that answers it wrongly is caught like a cheating worker',
    schema: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
  },
  plantedCheckDelayMs: {
    env: 'TESSERA_PLANTED_CHECK_DELAY_MS',
    help: 'a planted check reaches its guard within this long (uniform) after the real check it was drawn beside',
    schema: z.coerce.number().int().min(0).default(30_000),
  },
  guardsFromOtherNetworks: {
    env: 'TESSERA_GUARDS_FROM_OTHER_NETWORKS',
    help: 'a guard must connect from another network (/24 or /64) than the worker it checks and than the other guards of that check; false only where all tabs share one address (local testing)',
    schema: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
  },
  requireApiKey: {
    env: 'TESSERA_REQUIRE_API_KEY',
    help: 'refuse API callers without a valid key (1); by default anonymous callers are served, behind every key',
    schema: z
      .enum(['0', '1', 'true', 'false'])
      .default('0')
      .transform((value) => value === '1' || value === 'true'),
  },
  adminToken: {
    env: 'TESSERA_ADMIN_TOKEN',
    help: 'the token the admin API (/api/v1/admin/keys) asks for in x-tessera-admin-token; empty: the admin API is off',
    schema: z.string().trim().max(500).default(''),
  },
  webhookAllowPrivate: {
    env: 'TESSERA_WEBHOOK_ALLOW_PRIVATE',
    help: 'let webhook_url name loopback, private, link-local and other non-public addresses (1); off by default, so a key cannot make the coordinator call into its own network',
    schema: z
      .enum(['0', '1', 'true', 'false'])
      .default('0')
      .transform((value) => value === '1' || value === 'true'),
  },
  webhookMaxAttempts: {
    env: 'TESSERA_WEBHOOK_MAX_ATTEMPTS',
    help: 'POSTs of a webhook (network errors and non-2xx answers are retried) before it is given up',
    schema: z.coerce.number().int().min(1).max(20).default(6),
  },
  webhookRetryBaseMs: {
    env: 'TESSERA_WEBHOOK_RETRY_BASE_MS',
    help: "the wait before a webhook's second attempt; it doubles before each next one (2 s: six attempts over about a minute)",
    schema: z.coerce.number().int().min(10).max(3_600_000).default(2000),
  },
  webhookTimeoutMs: {
    env: 'TESSERA_WEBHOOK_TIMEOUT_MS',
    help: 'how long one webhook POST may take, connection included, before it counts as failed',
    schema: z.coerce.number().int().min(100).max(120_000).default(10_000),
  },
  trustProxy: {
    env: 'TESSERA_TRUST_PROXY',
    help: "proxies whose X-Forwarded-For names the client, for the API and the tab sockets alike: comma-separated addresses, CIDRs, loopback, linklocal or uniquelocal; empty: none, the connection's peer is the client",
    schema: z.string().max(2000).default(''),
  },
  corsOrigins: {
    env: 'TESSERA_CORS_ORIGINS',
    help: 'origins whose pages may call the API (/v1 and /api) from a browser: comma-separated origins, or * for any; never with cookies or credentials (the API keeps none)',
    schema: z
      .string()
      .max(4000)
      .regex(/^(\*|https?:\/\/[^,\s/]+(,\s*https?:\/\/[^,\s/]+)*)?$/, '* or comma-separated http(s) origins')
      .default('*'),
  },
  siteShare: {
    env: 'TESSERA_SITE_SHARE',
    help: "a registered site's share of the credit of work its widget's visitors do, as a percentage of the visitor's credit, paid on top of it from the reward budget (0: none)",
    schema: z
      .string()
      .regex(/^(100(\.0)?|\d{1,2}(\.\d)?)%?$/, 'a percentage from 0 to 100, e.g. 10%')
      .default('10%'),
  },
  identityProofBits: {
    env: 'TESSERA_IDENTITY_PROOF_BITS',
    help: "leading zero bits of sha256 a worker's or guard's proof of work for its key must have (about a second of a browser at 18; each bit doubles it); 0: none",
    schema: z.coerce.number().int().min(0).max(32).default(DEFAULT_IDENTITY_PROOF_BITS),
  },
  tabsPerAddress: {
    env: 'TESSERA_TABS_PER_ADDRESS',
    help: 'connected tabs (any role) per client address: a classroom behind one NAT is one address',
    schema: z.coerce.number().int().min(1).default(64),
  },
  tabsPerPrefix: {
    env: 'TESSERA_TABS_PER_PREFIX',
    help: 'connected tabs per /24 (IPv4) or /64 (IPv6) network',
    schema: z.coerce.number().int().min(1).default(256),
  },
  newIdentitiesPerAddress: {
    env: 'TESSERA_NEW_IDENTITIES_PER_ADDRESS',
    help: 'keys never seen before admitted per client address within the new-identity window (0: none)',
    schema: z.coerce.number().int().min(0).default(36),
  },
  newIdentitiesPerPrefix: {
    env: 'TESSERA_NEW_IDENTITIES_PER_PREFIX',
    help: 'keys never seen before admitted per /24 or /64 network within the new-identity window (0: none)',
    schema: z.coerce.number().int().min(0).default(72),
  },
  newIdentityWindowMs: {
    env: 'TESSERA_NEW_IDENTITY_WINDOW_MS',
    help: 'the sliding window new identities are counted in',
    schema: z.coerce.number().int().min(1000).default(3_600_000),
  },
  bannedIdentityWeight: {
    env: 'TESSERA_BANNED_IDENTITY_WEIGHT',
    help: 'how many new identities a banned key counts as against the address and network it was first seen from (a key caught but not banned: a third per catch)',
    schema: z.coerce.number().int().min(0).default(12),
  },
  bannedIdentityMemoryMs: {
    env: 'TESSERA_BANNED_IDENTITY_MEMORY_MS',
    help: 'how long after it was first seen a caught key weighs on that budget',
    schema: z.coerce.number().int().min(0).default(86_400_000),
  },
  redisUrl: {
    env: 'TESSERA_REDIS_URL',
    help: 'Redis shared by several coordinator instances (redis://[:password@]host:port[/db], rediss:// for TLS; its password is never logged): tab sockets reach across instances, rate limits are shared, instances exchange task events; empty: one instance alone, nothing shared',
    schema: z.union([z.literal(''), z.url({ protocol: /^rediss?$/ })]).default(''),
  },
  redisPrefix: {
    env: 'TESSERA_REDIS_PREFIX',
    help: "prefix of this network's keys and channels in Redis: instances with the same Redis and prefix are one network",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('tessera'),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    help: 'fatal, error, warn, info, debug or trace',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  },
} as const;

type Fields = typeof CONFIG_FIELDS;
export type CoordinatorConfig = { [Key in keyof Fields]: z.output<Fields[Key]['schema']> };

const configSchema = z.object(
  Object.fromEntries(Object.entries(CONFIG_FIELDS).map(([key, field]) => [key, field.schema])) as {
    [Key in keyof Fields]: Fields[Key]['schema'];
  },
);

/** Builds the config from defaults, then the environment, then explicit overrides (CLI flags, tests). */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<keyof Fields, unknown>> = {},
): CoordinatorConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(CONFIG_FIELDS)) {
    const fromEnv = env[field.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv;
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) raw[key] = value;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      const field = Object.hasOwn(CONFIG_FIELDS, key) ? CONFIG_FIELDS[key as keyof Fields] : undefined;
      return `  ${key}${field ? ` (${field.env})` : ''}: ${issue.message}`;
    });
    throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export function configHelp(): string {
  const rows = Object.entries(CONFIG_FIELDS).map(([key, field]) => {
    const parsed: unknown = field.schema.parse(undefined);
    const fallback = Array.isArray(parsed) ? JSON.stringify(parsed) : parsed || '(empty)';
    const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    return `  ${flag.padEnd(26)} ${field.env.padEnd(30)} ${field.help} (default: ${String(fallback)})`;
  });
  return [
    'Usage: npm run serve -- [options]   (or: npm start, which builds the pages first)',
    '',
    'Runs the Tessera coordinator: OpenAI-compatible API, task queue, worker gateway and pages.',
    'Every option can also be set with the environment variable shown.',
    '',
    `  ${'flag'.padEnd(26)} ${'environment'.padEnd(30)} meaning`,
    ...rows,
    '  --help                     show this help',
  ].join('\n');
}

/** Parses `--lease-ms 5000` / `--lease-ms=5000` style flags into config overrides. */
export function parseFlags(argv: readonly string[]): { help: boolean; overrides: Partial<Record<keyof Fields, string>> } {
  const overrides: Partial<Record<keyof Fields, string>> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new Error(`Unexpected argument '${arg}'. See --help.`);
    const key = (match[1] ?? '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (!Object.hasOwn(CONFIG_FIELDS, key)) throw new Error(`Unknown option '--${match[1]}'. See --help.`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`Option '--${match[1]}' needs a value.`);
    overrides[key as keyof Fields] = value;
  }
  return { help, overrides };
}
