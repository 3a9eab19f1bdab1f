import OpenAI from 'openai';

// The root README's "Use it from your stack" shows this code between the markers, with `TESSERA` set to a
// local coordinator's address; stack-snippets.test.ts runs it and checks the README still shows it verbatim.
export async function openaiNode(TESSERA: string): Promise<void> {
  // README: from here
  const client = new OpenAI({ baseURL: `${TESSERA}/v1`, apiKey: 'not-needed' });
  const model = 'tessera/tiny-gpt2';

  // The Responses API (the AI SDK's default `openai(id)`); previous_response_id continues a conversation.
  const response = await client.responses.create({ model, input: 'Tessera', instructions: 'Answer briefly.' });
  console.log(response.output_text);
  const followUp = await client.responses.create({ model, input: 'And then?', previous_response_id: response.id });
  console.log(followUp.output_text);

  // Legacy text completions, streamed.
  const stream = await client.completions.create({ model, prompt: 'Tessera', max_tokens: 32, stream: true });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.text ?? '');
  // README: to here
}
