import { TINY_GPT2_ID } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { sumOfSeries } from './support/task-observations.ts';
import { servingTab } from './support/serving-tab.ts';
import { eventually, startTestApp } from './support/test-app.ts';

const track = closeAfterEach();

describe('/metrics: by model and kind, time to first token, tokens per second, HTTP per route', () => {
  it('labels what a served stream did, and counts each route by its pattern', async () => {
    const server = track(await startTestApp());
    await servingTab(server, track);
    const streamed = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'count me' }], stream: true }),
    });
    await streamed.text();
    const id = streamed.headers.get('x-tessera-task-id');
    expect((await fetch(`${server.url}/api/v1/tasks/${id}`)).status).toBe(200);
    expect((await fetch(`${server.url}/no/such/route`)).status).toBe(404);

    const text = await eventually(async () => {
      const page = await (await fetch(`${server.url}/metrics`)).text();
      return sumOfSeries(page, 'tessera_http_requests_total{route="/v1/chat/completions"}') > 0 ? page : undefined;
    });
    const model = `model="${TINY_GPT2_ID}"`;
    expect(sumOfSeries(text, `tessera_tasks_submitted_total{kind="chat",${model}}`)).toBe(1);
    expect(sumOfSeries(text, `tessera_tasks_finished_total{status="succeeded",kind="chat",${model}}`)).toBe(1);
    expect(sumOfSeries(text, `tessera_completion_tokens_total{${model}}`)).toBeGreaterThan(0);
    expect(sumOfSeries(text, `tessera_time_to_first_token_seconds_count{${model}}`)).toBe(1);
    expect(sumOfSeries(text, `tessera_tab_tokens_per_second_count{${model}}`)).toBe(1);
    expect(sumOfSeries(text, 'tessera_http_requests_total{method="POST",route="/v1/chat/completions",status="200"}')).toBe(1);
    // Route patterns, not URLs: the task's id is not a label value.
    expect(sumOfSeries(text, 'tessera_http_requests_total{method="GET",route="/api/v1/tasks/:id",status="200"}')).toBe(1);
    expect(text).not.toContain(`${id}`);
    expect(sumOfSeries(text, 'tessera_http_requests_total{route="unmatched",status="404"}')).toBe(1);
    expect(sumOfSeries(text, 'tessera_http_request_duration_seconds_count{route="/v1/chat/completions"}')).toBe(1);
    // The process's own metrics under one prefix, not twice.
    expect(sumOfSeries(text, 'tessera_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).not.toContain('tessera_process_process_');
  });
});
