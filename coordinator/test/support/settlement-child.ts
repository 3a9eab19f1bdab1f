// A coordinator in its own process, for the settlement crash tests: configured from the environment as
// server.ts is (TESSERA_*), with the linked accounts of TESSERA_TEST_ACCOUNTS (JSON: public key →
// {accountId, evmAddress}) instead of wallet links. It prints `settlement-child ready url=…`, then obeys
// one command per stdin line: `close` (close the open epoch and settle: `settlement-child closed {…}`) and
// `tick` (`settlement-child ticked`). With TESSERA_CRASH_AT set, settlement kills it at that point.
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { EvmAddress, LinkedAccount } from '../../src/rewards/account-directory.ts';

const accountsSchema = z.record(
  z.string(),
  z.object({
    accountId: z.string(),
    evmAddress: z.custom<EvmAddress>((value) => typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)),
  }),
);
const accounts: Record<string, LinkedAccount> = accountsSchema.parse(JSON.parse(process.env.TESSERA_TEST_ACCOUNTS ?? '{}'));

const config = loadConfig(process.env, { port: 0, rateLimitPerMinute: 0 });
const app = await buildApp({ config, logger: { level: config.logLevel }, accounts: { linkedAccount: (key) => accounts[key] } });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`settlement-child ready url=${url}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'close') {
    const closed = await app.tessera.settler.closeNow();
    process.stdout.write(
      `settlement-child closed ${JSON.stringify({ ...closed, total: closed.total.toString(), carried: closed.carried.toString() })}\n`,
    );
  } else if (line === 'tick') {
    await app.tessera.settler.tick();
    process.stdout.write('settlement-child ticked\n');
  }
}
process.stdout.write('settlement-child stopping\n');
await app.close();
process.stdout.write('settlement-child stopped\n');
// As server.ts does: the SDK's request timers (up to its request timeout) would otherwise hold the exit.
process.exit(0);
