import { Ollama } from 'ollama';

// Shown in the root README between the markers; run by stack-snippets.test.ts.
export async function ollamaClient(TESSERA: string): Promise<void> {
  // README: from here
  const ollama = new Ollama({ host: TESSERA });

  const { models } = await ollama.list(); // the models a volunteer tab serves right now
  console.log(models.map((model) => model.name));

  const reply = await ollama.chat({ model: 'tessera/tiny-gpt2', messages: [{ role: 'user', content: 'Tessera' }] });
  console.log(reply.message.content);

  for await (const part of await ollama.generate({ model: 'tessera/tiny-gpt2', prompt: 'Tessera', stream: true }))
    process.stdout.write(part.response ?? '');

  const { embeddings } = await ollama.embed({ model: 'tessera/tiny-bert', input: ['volunteer', 'network'] });
  console.log(embeddings.length);
  // README: to here
}
