import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';

const HOW_TO_RUN =
  "start one with `redis-server --port 6390 --save '' --appendonly no --daemonize yes`, then run " +
  '`TESSERA_TEST_REDIS_URL=redis://127.0.0.1:6390 npx vitest run coordinator/test/cluster-*.test.ts`';

/**
 * The Redis the cluster tests run against (`TESSERA_TEST_REDIS_URL`). Locally, without it, those tests are
 * skipped with one printed reason; in CI (`CI` set) a missing Redis fails the file instead: `.ci/run` starts one.
 */
export const testRedisUrl: string | undefined = process.env.TESSERA_TEST_REDIS_URL || undefined;

/** `describe` when a test Redis is given, else `describe.skip` after saying why and how to run them. */
export function describeWithRedis(file: string): typeof describe | typeof describe.skip {
  if (testRedisUrl !== undefined) return describe;
  if (process.env.CI)
    throw new Error(`TESSERA_TEST_REDIS_URL is not set in CI: .ci/run must start Redis for ${file}. Locally: ${HOW_TO_RUN}`);
  console.warn(`[${file}] skipped: TESSERA_TEST_REDIS_URL is not set; ${HOW_TO_RUN}`);
  return describe.skip;
}

/** A key prefix of its own per test, so tests sharing one Redis (and running in parallel) never meet. */
export function testRedisPrefix(): string {
  return `test-${randomUUID()}`;
}
