// Setup file of the coordinator-postgres vitest project (vitest.config.ts): after each test file, the
// schemas it created on the test server are dropped.
import { afterAll } from 'vitest';
import { dropTestSchemas } from './test-database.ts';

afterAll(dropTestSchemas, 30_000);
