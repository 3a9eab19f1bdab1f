import { TINY_GPT2_ID, type TaskAssign } from '@tessera/shared';
import OpenAI, { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import type { ScriptedTab } from './support/scripted-tab.ts';
import { servingTab } from './support/serving-tab.ts';
import { metric } from './support/task-observations.ts';
import { startTestApp } from './support/test-app.ts';
import { chatOutput, tinyGpt2Tokenizer } from './support/tiny-tokens.ts';

const track = closeAfterEach();
const messages = [{ role: 'user' as const, content: 'Tessera' }];

/** An honest echo that also reports log probabilities when the task asks (values a guard would check). */
function answerWithLogprobs(assign: TaskAssign, tab: ScriptedTab): void {
  if (assign.task.kind !== 'chat') return;
  const output = chatOutput(echoText(assign));
  const top = assign.task.params.topLogprobs;
  const logprobs =
    top === undefined
      ? undefined
      : output.tokenIds.map((id, index) => ({
          logprob: -0.25 * index,
          top: [[id, -0.25 * index] as [number, number], [0, -9] as [number, number]].slice(0, top),
        }));
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  tab.sendResult(assign.taskId, { ...output, ...(logprobs === undefined ? {} : { logprobs }) });
}

describe('n choices and log probabilities on the OpenAI chat API', () => {
  it('n fans out to one task per choice, across tabs, and answers with every choice in order', async () => {
    const server = track(await startTestApp());
    const served = [0, 0];
    const counting =
      (index: number) =>
      (assign: TaskAssign, tab: ScriptedTab): void => {
        served[index] = (served[index] ?? 0) + 1;
        answerHonestly(assign, tab);
      };
    await servingTab(server, track, { onAssign: counting(0) });
    await servingTab(server, track, { onAssign: counting(1) });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: TINY_GPT2_ID, messages, n: 3 }).withResponse();
    expect(data.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
      [0, 'echo: Tessera'],
      [1, 'echo: Tessera'],
      [2, 'echo: Tessera'],
    ]);
    const taskIds = (response.headers.get('x-tessera-task-id') ?? '').split(',');
    expect(new Set(taskIds).size).toBe(3);
    const completion = data.usage?.completion_tokens ?? 0;
    expect(completion).toBe(3 * chatOutput('echo: Tessera').tokenIds.length);
    expect(await metric(server, 'tessera_tasks_submitted_total')).toBe(3);
    // Known-answer checks are answered by the tabs themselves, so these count choices: both tabs served some.
    expect(served.every((count) => count > 0)).toBe(true);
  });

  it('n above 8 or with a stream is refused by name before any task exists', async () => {
    const server = track(await startTestApp());
    await servingTab(server, track);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    for (const body of [{ n: 9 }, { n: 2, stream: true }]) {
      const error = await client.chat.completions
        .create({ model: TINY_GPT2_ID, messages, ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).param).toBe('n');
    }
    expect(await metric(server, 'tessera_tasks_submitted_total')).toBe(0);
  });

  it('logprobs name each token by the text the coordinator decodes, in the answer and at the end of a stream', async () => {
    const server = track(await startTestApp());
    await servingTab(server, track, { onAssign: answerWithLogprobs });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: TINY_GPT2_ID, messages, logprobs: true, top_logprobs: 1 });
    const content = completion.choices[0]?.logprobs?.content ?? [];
    const ids = chatOutput('echo: Tessera').tokenIds;
    expect(content.map((entry) => entry.token)).toEqual(ids.map((id) => tinyGpt2Tokenizer.decode([id], { skip_special_tokens: false })));
    expect(content.map((entry) => entry.token).join('')).toBe('echo: Tessera');
    expect(content[1]).toMatchObject({ logprob: -0.25, top_logprobs: [{ logprob: -0.25 }] });
    expect(content[0]?.bytes).toEqual([...new TextEncoder().encode(content[0]?.token ?? '')]);

    const stream = await client.chat.completions.create({ model: TINY_GPT2_ID, messages, logprobs: true, stream: true });
    const streamed: string[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []).map((entry) => entry.token));
    expect(streamed.join('')).toBe('echo: Tessera');

    // Without logprobs asked, a tab that sends them anyway has its result refused (it is not what was asked).
    const plain = await client.chat.completions.create({ model: TINY_GPT2_ID, messages });
    expect(plain.choices[0]?.logprobs).toBeNull();
  });
});
