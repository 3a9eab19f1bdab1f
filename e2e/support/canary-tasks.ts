import { MODEL_CATALOG, TINY_GPT2_ID, findModel, taskViewSchema, type TaskView } from '@tessera/shared';
import { expect } from 'vitest';

const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;
if (canary === null || canary === undefined) throw new Error(`${TINY_GPT2_ID} has no canary`);

/** Queues the tiny GPT-2's canary as an async task (greedy, so every tab's answer is the same); its id. */
export async function submitCanaryTask(url: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'chat.completion',
      request: {
        model: TINY_GPT2_ID,
        messages: [{ role: 'user', content: canary?.prompt }],
        max_tokens: canary?.maxTokens,
        temperature: 0,
      },
    }),
  });
  expect(response.status).toBe(202);
  return taskViewSchema.parse(await response.json()).id;
}

/** Polls a task until it is neither queued nor assigned. */
export async function settledTask(url: string, id: string, timeoutMs = 60_000): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = taskViewSchema.parse(await (await fetch(`${url}/api/v1/tasks/${id}`)).json());
    if (view.status !== 'queued' && view.status !== 'assigned') return view;
    if (Date.now() > deadline) throw new Error(`task ${id} still ${view.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
