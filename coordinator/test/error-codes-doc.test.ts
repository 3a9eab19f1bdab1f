import { ERROR_CODES } from '@tessera/shared';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('error code registry', () => {
  it('matches the table in the coordinator README, row for row', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| ([a-z_]+) \| (yes|no) \|/gm)].map((match) => [
      match[1],
      Number(match[2]),
      match[3],
      match[4] === 'yes',
    ]);
    const registry = Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.status, entry.type, entry.retryable]);
    expect(rows).toEqual(registry);
  });
});
