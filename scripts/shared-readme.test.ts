import { readFileSync } from 'node:fs';
import {
  ERROR_CODES,
  PEER_FRAME_KINDS,
  PEER_FRAME_VERSION,
  PROTOCOL_VERSION,
  apiClientToServerSchemas,
  apiServerToClientSchemas,
  coordinatorToWorkerSchemas,
  engineReplySchema,
  engineRequestSchema,
  widgetCommandSchema,
  widgetNoticeSchema,
  workerToCoordinatorSchemas,
} from '@tessera/shared';
import { describe, expect, it } from 'vitest';

// shared/README.md is the protocol's reference: these checks keep its tables and the code in step. They live
// here rather than in shared, which reads no files (it imports nothing from Node).
const readme = readFileSync(new URL('../shared/README.md', import.meta.url), 'utf8');

/** The text under a heading (any level) up to the next heading of the same or a higher level. */
function section(title: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '').startsWith(title));
  if (start === -1) throw new Error(`no heading '${title}' in shared/README.md`);
  const level = /^#+/.exec(lines[start] ?? '')?.[0].length ?? 0;
  const end = lines.findIndex((line, index) => index > start && /^#+ /.test(line) && (/^#+/.exec(line)?.[0].length ?? 0) <= level);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The first cell of each table row under `title` whose cell is one code span, in order. */
function firstCells(title: string, table = 0): string[] {
  const tables = section(title)
    .split(/\n(?!\|)/)
    .filter((block) => block.trimStart().startsWith('|'));
  const rows = (tables[table] ?? '').split('\n').filter((line) => line.startsWith('|'));
  return rows.flatMap((row) => /^\| `([^`]+)` \|/.exec(row)?.[1] ?? []);
}

describe('shared/README.md matches the code', () => {
  it('lists the error registry row for row: code, HTTP status, type, retryable', () => {
    const rows = [...section('Error codes').matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| ([a-z_]+) \| (yes|no) \|/gm)].map((match) => [
      match[1],
      Number(match[2]),
      match[3],
      match[4] === 'yes',
    ]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.status, entry.type, entry.retryable]));
  });

  it('lists every socket event in its direction, and no other', () => {
    expect(firstCells('Tab → coordinator').sort()).toEqual(Object.keys(workerToCoordinatorSchemas).sort());
    expect(firstCells('Coordinator → tab').sort()).toEqual(Object.keys(coordinatorToWorkerSchemas).sort());
  });

  it('lists every /api event in its direction, and no other', () => {
    expect(firstCells('Client → coordinator (`/api`)').sort()).toEqual(Object.keys(apiClientToServerSchemas).sort());
    expect(firstCells('Coordinator → client (`/api`)').sort()).toEqual(Object.keys(apiServerToClientSchemas).sort());
  });

  it('lists every peer frame with its kind byte, and the frame version', () => {
    const rows = [...section('Peer data-channel frames').matchAll(/^\| (\d+) \| `([a-z:-]+)` \|/gm)].map((match) => [
      match[2],
      Number(match[1]),
    ]);
    expect(rows).toEqual(Object.entries(PEER_FRAME_KINDS));
    expect(section('Peer data-channel frames')).toContain(`PEER_FRAME_VERSION = ${PEER_FRAME_VERSION}`);
  });

  it('lists every engine request and reply', () => {
    const types = (union: typeof engineRequestSchema | typeof engineReplySchema): string[] =>
      union.options.map((option) => option.shape.type.value);
    expect(firstCells('Engine worker messages', 0)).toEqual(types(engineRequestSchema));
    expect(firstCells('Engine worker messages', 1)).toEqual(types(engineReplySchema));
  });

  it('lists every widget bridge message in its direction', () => {
    const types = (union: typeof widgetCommandSchema | typeof widgetNoticeSchema): string[] =>
      union.options.map((option) => option.shape.type.value);
    expect(firstCells('Widget bridge', 0)).toEqual(types(widgetCommandSchema));
    expect(firstCells('Widget bridge', 1)).toEqual(types(widgetNoticeSchema));
  });

  it('states the protocol version', () => {
    expect(section('Versioning')).toContain(`now **${PROTOCOL_VERSION}**`);
  });
});
