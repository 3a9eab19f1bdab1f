// Node-only test support: a real socket.io server on loopback standing in for the coordinator's worker gateway.
import { WORKER_NAMESPACE, parseWorkerToCoordinator } from '@tessera/shared';
import type { WorkerToCoordinatorEvent, WorkerToCoordinatorEvents, WorkerToCoordinatorMessage } from '@tessera/shared';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { Socket } from 'socket.io';

/** Untyped on purpose: tests also send what a broken coordinator might. */
export type GatewaySocket = Socket;

export interface FakeGateway {
  origin: string;
  /** Every message tabs sent, parsed with the shared schemas, in order. */
  received: WorkerToCoordinatorMessage[];
  /** Every socket that connected, in order (a tab that rejoins gets a new one). */
  tabs: GatewaySocket[];
  /** Resolves with the `index`th socket to connect, once it has. */
  tab(index?: number): Promise<GatewaySocket>;
  /** The payloads of one event, in order. */
  sent<E extends WorkerToCoordinatorEvent>(event: E): Parameters<WorkerToCoordinatorEvents[E]>[0][];
  close(): Promise<void>;
}

/** A message a tab sends that does not parse fails the test: the real gateway would refuse it. */
export async function startFakeGateway(): Promise<FakeGateway> {
  const http = createServer();
  const io = new Server(http);
  const received: WorkerToCoordinatorMessage[] = [];
  const tabs: GatewaySocket[] = [];
  const waiting: Array<() => void> = [];
  io.of(WORKER_NAMESPACE).on('connection', (socket: GatewaySocket) => {
    socket.onAny((event: string, ...args: unknown[]) => {
      const parsed = parseWorkerToCoordinator(event, args);
      if (!parsed.ok) throw new Error(`the tab sent an invalid ${event}: ${parsed.reason}`);
      received.push(parsed.message);
    });
    tabs.push(socket);
    for (const wake of waiting.splice(0)) wake();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    received,
    tabs,
    tab: async (index = 0) => {
      for (;;) {
        const socket = tabs[index];
        if (socket !== undefined) return socket;
        await new Promise<void>((wake) => waiting.push(wake));
      }
    },
    sent: <E extends WorkerToCoordinatorEvent>(event: E) => {
      const payloads: Parameters<WorkerToCoordinatorEvents[E]>[0][] = [];
      for (const message of received) if (isEvent(message, event)) payloads.push(message.payload);
      return payloads;
    },
    close: () => new Promise((resolve) => void io.close(() => resolve())),
  };
}

function isEvent<E extends WorkerToCoordinatorEvent>(
  message: WorkerToCoordinatorMessage,
  event: E,
): message is WorkerToCoordinatorMessage & { event: E; payload: Parameters<WorkerToCoordinatorEvents[E]>[0] } {
  return message.event === event;
}

/** Polls `condition` until it holds; throws, naming `what`, when it still does not after `timeoutMs`. */
export async function until(condition: () => boolean, what = 'a condition', timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
