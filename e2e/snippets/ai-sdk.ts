import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, stepCountIs, tool } from 'ai';
import { z } from 'zod';

// The root README shows this code between the markers; e2e/tools-structured-output.test.ts runs it against a real tab.
export async function aiSdk(TESSERA: string): Promise<void> {
  // README: from here
  const openai = createOpenAI({ baseURL: `${TESSERA}/v1`, apiKey: 'not-needed' });
  const model = openai('tessera/tiny-chat'); // the Responses API; openai.chat(…) for chat completions

  const { text, steps } = await generateText({
    model,
    temperature: 0,
    tools: {
      get_weather: tool({
        description: 'Get the current weather in a city',
        inputSchema: z.object({ city: z.string().describe('The city') }),
        execute: async () => 'Sunny, 21 C',
      }),
    },
    stopWhen: stepCountIs(2),
    prompt: 'What is the weather in Paris?',
  });
  console.log(steps[0]?.toolCalls.map((call) => [call.toolName, call.input]));
  console.log(text);

  const { object } = await generateObject({
    model,
    temperature: 0,
    schema: z.object({ name: z.string(), kind: z.string() }),
    prompt: 'Describe Tessera as JSON.',
  });
  console.log(object);
  // README: to here
}
