import { MODEL_CATALOG, TINY_GPT2_ID, findModel, taskViewSchema } from '@tessera/shared';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gotoVolunteerPage, launchChromium, openVolunteerTab, pageLogs } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { waitForServingTabs } from './support/network-state.ts';

/** socket.io frames of the `/worker` namespace carrying a tab's answer: `42/worker,["task:result",…]`. */
const ANSWER_FRAME = /^42\/worker,\d*\["task:(result|chunk)"/;

describe('a tab that dies mid-task', () => {
  let coordinator: RunningCoordinator;
  let browser: Browser;

  beforeAll(async () => {
    coordinator = await startCoordinator();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  it('loses no task: the coordinator requeues it and another tab answers', async () => {
    const canary = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.canary;
    if (!canary) throw new Error('tiny-gpt2 has no canary');
    const context = await browser.newContext();
    const dying = await context.newPage();
    // Once it serves, hold back the dying tab's answers, so the task is provably still running on it
    // when it closes. (Before that it must answer its known-answer check to be given work at all.)
    let holding = false;
    let heldAnswers = 0;
    await dying.routeWebSocket(/\/socket\.io\//, (socket) => {
      const server = socket.connectToServer();
      socket.onMessage((message) => {
        if (holding && typeof message === 'string' && ANSWER_FRAME.test(message)) heldAnswers++;
        else server.send(message);
      });
      server.onMessage((message) => socket.send(message));
    });
    await gotoVolunteerPage(dying, coordinator.url, { models: [TINY_GPT2_ID] });
    await waitForServingTabs(coordinator.url, 1, [TINY_GPT2_ID], 120_000, () => pageLogs(dying));
    holding = true;

    const client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 120_000 });
    const answer = client.chat.completions.create({
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: canary.prompt }],
      max_tokens: canary.maxTokens,
      temperature: 0,
    });
    await expect.poll(() => heldAnswers, { timeout: 60_000 }).toBeGreaterThan(0);

    const survivor = await openVolunteerTab(context, coordinator.url, { models: [TINY_GPT2_ID] });
    await waitForServingTabs(coordinator.url, 2, [TINY_GPT2_ID], 120_000, () => pageLogs(survivor));
    await dying.close();

    const completion = await answer;
    expect(completion.choices[0]?.message.content).toBe(canary.expectedCompletion);
    const taskId = completion.id.replace(/^chatcmpl-/, '');
    const task = taskViewSchema.parse(await (await fetch(`${coordinator.url}/api/v1/tasks/${taskId}`)).json());
    expect(task.attempts).toBe(2);
    // The survivor served its known-answer check and this task.
    expect(Number(await survivor.getByTestId('tasks-served').textContent())).toBe(2);
    await context.close();
  });
});
