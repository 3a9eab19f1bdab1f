import { io } from 'socket.io-client';

// The root README's "Use it from your stack" shows this code between the markers, with `TESSERA` set to a
// local coordinator's address; developer-stream.test.ts runs it and checks the README still shows it verbatim.
export async function taskStream(TESSERA: string): Promise<void> {
  // README: from here
  const key = process.env.TESSERA_API_KEY ?? ''; // a tsra_… key
  // Every task this key submits from now on: status changes, streamed text, the end. No polling.
  const socket = io(`${TESSERA}/api`, { auth: { key } });
  socket.on('task:status', ({ status }: { status: string }) => console.log(status));
  socket.on('task:chunk', ({ delta }: { delta: string }) => process.stdout.write(delta));
  const ended = new Promise((resolve) => socket.on('task:ended', ({ task }: { task: { status: string } }) => resolve(task.status)));
  await socket.emitWithAck('tasks:subscribe-own', {});
  await fetch(`${TESSERA}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'chat.completion',
      request: { model: 'tessera/tiny-gpt2', messages: [{ role: 'user', content: 'Tessera' }] },
    }),
  });
  console.log(await ended);
  socket.close();
  // README: to here
}
