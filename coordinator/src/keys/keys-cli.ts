#!/usr/bin/env -S npx tsx
import { createApiKeyRequestSchema } from '@tessera/shared';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/open-database.ts';
import { ApiKeyStore, apiKeyView } from './api-key-store.ts';

const HELP = `Usage: npm run keys -- <command> [options]

Manages developers' API keys in the coordinator's database (the same TESSERA_DATA_DIR or TESSERA_DATABASE_URL
the coordinator uses; it may be running).

Commands:
  create --name <name> [--priority <0-9>] [--quota <tokens>] [--rpm <requests per minute>]
                 a new key; it is printed once and stored only as a hash
  list           the keys, with their usage (never the keys themselves)
  revoke <id>    a key stops working at once; its usage stays

Options:
  --json         print JSON instead of text
  --help         show this help

A key runs its tasks at its priority (0 first; anonymous callers run at 10), within its quota of tokens
(prompt and completion), and at most --rpm API requests a minute (default: the coordinator's per-client limit).`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      priority: { type: 'string' },
      quota: { type: 'string' },
      rpm: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [command, argument] = positionals;
  if (values.help === true || command === undefined) {
    console.log(HELP);
    return;
  }
  const config = loadConfig();
  if (config.databaseUrl === '') mkdirSync(config.dataDir, { recursive: true });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, file: join(config.dataDir, 'tessera.db') });
  try {
    const keys = new ApiKeyStore(db);
    const print = (text: string, json: unknown): void => console.log(values.json === true ? JSON.stringify(json, null, 2) : text);
    switch (command) {
      case 'create': {
        const parsed = createApiKeyRequestSchema.safeParse({
          name: values.name,
          ...(values.priority === undefined ? {} : { priority: Number(values.priority) }),
          ...(values.quota === undefined ? {} : { quota_tokens: Number(values.quota) }),
          ...(values.rpm === undefined ? {} : { requests_per_minute: Number(values.rpm) }),
        });
        if (!parsed.success)
          fail(`Invalid key: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
        const { record, key, webhookSecret } = keys.create(parsed.data);
        print(
          `Created ${record.id} (${record.name}), priority ${record.priority}, quota ${record.quotaTokens ?? 'none'}.\n` +
            `Key (shown once, keep it secret):\n${key}\nWebhook secret (signs this key's webhooks; shown once):\n${webhookSecret}`,
          { ...apiKeyView(record), key, webhook_secret: webhookSecret },
        );
        return;
      }
      case 'list': {
        const all = keys.list();
        print(
          all.length === 0
            ? 'No keys yet: npm run keys -- create --name <name>'
            : all
                .map(
                  (record) =>
                    `${record.id}  ${record.prefix}…  ${record.name}  priority ${record.priority}  ` +
                    `${record.usedTokens}/${record.quotaTokens ?? '∞'} tokens  ${record.requests} requests` +
                    (record.revokedAt === null ? '' : '  revoked'),
                )
                .join('\n'),
          { data: all.map(apiKeyView) },
        );
        return;
      }
      case 'revoke': {
        if (argument === undefined) fail('revoke needs the key id (npm run keys -- list shows them).');
        if (!keys.revoke(argument)) fail(`No key has the id ${argument}.`);
        print(`Revoked ${argument}.`, { revoked: argument });
        return;
      }
      default:
        fail(`Unknown command ${command}.`);
    }
  } finally {
    db.close();
  }
}

await main();
