import { TesseraError } from '@tessera/shared';
import type { OpenTasks } from './open-tasks.ts';

/**
 * Throws `client_queue_full` or `queue_full` when `bytes` more of input from `client` would take its
 * share or the whole queue past their bounds. The API asks with the body's declared length before
 * reading it, so a client over its bound costs no parsing at all. Inputs waiting in the store count too:
 * the bound is on what a client may queue, wherever it waits.
 */
export function assertRoomForInput(
  open: Pick<OpenTasks, 'bytes'>,
  client: string,
  bytes: number,
  limits: { maxOpenBytes: number; maxOpenBytesPerClient: number },
): void {
  const held = open.bytes(client);
  if (held + bytes > limits.maxOpenBytesPerClient) {
    throw new TesseraError(
      'client_queue_full',
      `Your open tasks already hold ${Math.round(held / 1024)} KiB of input (at most ${Math.round(limits.maxOpenBytesPerClient / 1024)} KiB per client); wait for some to finish.`,
    );
  }
  if (open.bytes() + bytes > limits.maxOpenBytes)
    throw new TesseraError('queue_full', 'The queue holds as much task input as it may; retry later.');
}
