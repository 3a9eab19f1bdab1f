import Anthropic from '@anthropic-ai/sdk';

// Shown in the root README between the markers; run by stack-snippets.test.ts.
export async function anthropicSdk(TESSERA: string): Promise<void> {
  // README: from here
  const anthropic = new Anthropic({ baseURL: TESSERA, apiKey: 'not-needed' });

  const message = await anthropic.messages.create({
    model: 'tessera/tiny-gpt2',
    max_tokens: 64,
    system: 'Answer briefly.',
    messages: [{ role: 'user', content: 'Tessera' }],
  });
  console.log(message.content[0]?.type === 'text' ? message.content[0].text : '');

  const stream = anthropic.messages.stream({
    model: 'tessera/tiny-gpt2',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Tessera' }],
  });
  stream.on('text', (text) => process.stdout.write(text));
  await stream.finalMessage();
  // README: to here
}
