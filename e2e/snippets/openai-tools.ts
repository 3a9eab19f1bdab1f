import OpenAI from 'openai';

// The root README's "Use it from your stack" shows this code between the markers; e2e/tools-structured-output.test.ts
// runs it against a real tab serving the tiny chat model, and coordinator/test/stack-snippets.test.ts checks the
// README still shows it verbatim.
export async function openaiTools(TESSERA: string): Promise<void> {
  // README: from here
  const client = new OpenAI({ baseURL: `${TESSERA}/v1`, apiKey: 'not-needed' });
  const model = 'tessera/tiny-chat'; // a test model trained on these exact questions

  // Tool calling: the tab decodes under a grammar built from the tools' schemas, so calls always parse.
  const weather = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Get the current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'The city' } }, required: ['city'] },
    },
  };
  const asked = await client.chat.completions.create({
    model,
    temperature: 0,
    tools: [weather],
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
  });
  const call = asked.choices[0]?.message.tool_calls?.[0];
  if (call?.type !== 'function') throw new Error('no tool call');
  console.log(call.function.name, call.function.arguments);

  const answered = await client.chat.completions.create({
    model,
    temperature: 0,
    tools: [weather],
    messages: [
      { role: 'user', content: 'What is the weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 C' },
    ],
  });
  console.log(answered.choices[0]?.message.content);

  // Structured output: JSON valid against the schema, with each token's log probability.
  const described = await client.chat.completions.create({
    model,
    temperature: 0,
    logprobs: true,
    top_logprobs: 2,
    messages: [{ role: 'user', content: 'Describe Tessera as JSON.' }],
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'network',
        schema: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' } }, required: ['name', 'kind'] },
      },
    },
  });
  console.log(JSON.parse(described.choices[0]?.message.content ?? ''));
  console.log(described.choices[0]?.logprobs?.content?.length);
  // README: to here
}
