#!/usr/bin/env -S npx tsx
import { buildApp } from './app.ts';
import { configHelp, loadConfig, parseFlags } from './config.ts';

async function main(): Promise<void> {
  const { help, overrides } = parseFlags(process.argv.slice(2));
  if (help) {
    console.log(configHelp());
    return;
  }
  const config = loadConfig(process.env, overrides);
  const pretty = process.stdout.isTTY || process.env.LOG_FORMAT === 'pretty';
  const app = await buildApp({
    config,
    logger: pretty
      ? {
          level: config.logLevel,
          transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname,reqId' } },
        }
      : { level: config.logLevel },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info(`${signal}: closing (queued tasks stay in the database)`);
      void app.close().then(() => process.exit(0));
    });
  }
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(`Tessera coordinator on ${address}  ·  volunteer page ${address}/  ·  API ${address}/v1  ·  docs ${address}/docs`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
