import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';

// The root README shows this code between the markers; e2e/tools-structured-output.test.ts runs it against a real tab.
export async function langchain(TESSERA: string): Promise<void> {
  // README: from here
  const model = new ChatOpenAI({
    model: 'tessera/tiny-chat',
    temperature: 0,
    apiKey: 'not-needed',
    configuration: { baseURL: `${TESSERA}/v1` },
  });

  const getWeather = tool(async ({ city }) => `Sunny, 21 C in ${city}`, {
    name: 'get_weather',
    description: 'Get the current weather in a city',
    schema: z.object({ city: z.string().describe('The city') }),
  });
  const message = await model.bindTools([getWeather]).invoke('What is the weather in Paris?');
  console.log(message.tool_calls?.map((call) => [call.name, call.args]));

  const network = model.withStructuredOutput(z.object({ name: z.string(), kind: z.string() }), { name: 'network' });
  console.log(await network.invoke('Describe Tessera as JSON.'));
  // README: to here
}
