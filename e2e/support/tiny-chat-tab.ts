import { TINY_CHAT_CANARIES, TINY_CHAT_ID, type TinyChatCanary } from '@tessera/shared';
import type { Browser } from 'playwright-core';
import { launchChromium, openVolunteerTab, pageLogs } from './browser.ts';
import { startCoordinator, type RunningCoordinator } from './coordinator.ts';
import { waitForServingTabs } from './network-state.ts';

function canary(name: string): TinyChatCanary {
  const found = TINY_CHAT_CANARIES.find((entry) => entry.name === name);
  if (found === undefined) throw new Error(`tiny-chat has no canary '${name}'`);
  return found;
}

const toolCall = canary('tool-call');
const weatherTool = toolCall.tools?.[0];
if (weatherTool?.function.parameters === undefined) throw new Error("tiny-chat's tool-call canary offers no tool");

/**
 * What the tiny chat model is trained to answer under greedy decoding (coordinator/models/tiny_chat.py), as
 * the scenarios ask it through each API: a question that calls get_weather, the tool's result and the
 * sentence it then gets, and a question answered with a JSON object.
 */
export const TINY_CHAT = {
  /** OpenAI's shape; the Anthropic and Ollama scenarios reshape it. */
  weatherTool: { type: 'function' as const, function: { ...weatherTool.function, parameters: weatherTool.function.parameters } },
  weatherQuestion: toolCall.messages[0]?.content ?? '',
  parisArguments: { city: 'Paris' },
  weatherResult: canary('tool-result').messages.find((message) => message.role === 'tool')?.content ?? '',
  weatherAnswer: canary('tool-result').expectedCompletion,
  jsonQuestion: canary('json').messages[0]?.content ?? '',
  network: JSON.parse(canary('json').expectedCompletion) as { name: string; kind: string },
  networkSchema: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' } }, required: ['name', 'kind'] },
} as const;

export interface TinyChatTab {
  coordinator: RunningCoordinator;
  browser: Browser;
  close(): Promise<void>;
}

/** A coordinator and one Chromium volunteer tab serving the tiny chat model, ready for tasks. */
export async function startTinyChatTab(): Promise<TinyChatTab> {
  const coordinator = await startCoordinator();
  const browser = await launchChromium();
  const tab = await openVolunteerTab(await browser.newContext(), coordinator.url, { models: [TINY_CHAT_ID] });
  await waitForServingTabs(coordinator.url, 1, [TINY_CHAT_ID], 120_000, () => pageLogs(tab));
  return {
    coordinator,
    browser,
    close: async () => {
      await browser.close();
      await coordinator.close();
    },
  };
}
