import { TINY_GPT2_ID } from '@tessera/shared';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { servingTab } from './support/serving-tab.ts';
import { eventually, startTestApp } from './support/test-app.ts';

const track = closeAfterEach();

/** The JSON lines a coordinator logs at `info` and above. */
function logLines(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

describe('quiet, useful logs', () => {
  it('polls and pages log nothing at info; each task ends in one info line with model, kind, tab, ms and outcome', async () => {
    const { stream, lines } = logLines();
    const server = track(await startTestApp({}, undefined, { level: 'info', stream }));
    await servingTab(server, track);
    const before = lines.length;
    for (let i = 0; i < 20; i++) expect((await fetch(`${server.url}/api/v1/network`)).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(lines.slice(before)).toEqual([]);

    const answer = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'log me once' }] }),
    });
    expect(answer.status).toBe(200);
    const id = answer.headers.get('x-tessera-task-id');
    const ended = await eventually(() => {
      const mine = lines.filter((line) => line.taskId === id);
      return mine.length > 0 ? mine : undefined;
    });
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({
      level: 30,
      model: TINY_GPT2_ID,
      kind: 'chat',
      attempts: 1,
      msg: `task succeeded: chat on ${TINY_GPT2_ID}`,
    });
    expect(typeof ended[0]?.ms).toBe('number');
    expect(typeof ended[0]?.tab).toBe('string');
    // Nothing else at info for that request: no request or response lines.
    expect(lines.slice(before).filter((line) => line.msg === 'incoming request' || line.msg === 'request completed')).toEqual([]);
  });
});
