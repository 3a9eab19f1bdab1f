import {
  OBSERVERS_NAMESPACE,
  networkSnapshotSchema,
  observerHistorySchema,
  observerSampleSchema,
  type NetworkSnapshot,
  type ObserverHistory,
  type ObserverSample,
} from '@tessera/shared';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';

/** What the feed needs of a socket.io client socket: events in, and closing it. */
export interface ObserverSocket {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  close(): unknown;
}

export interface ObserverFeedHandlers {
  history(history: ObserverHistory): void;
  sample(sample: ObserverSample): void;
  snapshot(snapshot: NetworkSnapshot): void;
  connection(connected: boolean, error?: string): void;
}

export type CreateObserverSocket = (url: string, options: Partial<ManagerOptions & SocketOptions>) => ObserverSocket;

/**
 * The dashboard's link to the coordinator's `/observers` namespace: pushed snapshots, the stored history on
 * every (re)connect and each new sample. Every message is parsed with its shared schema; one that does not
 * parse is dropped (a coordinator of another version), never half-applied.
 */
export function openObserverFeed(
  origin: string,
  handlers: ObserverFeedHandlers,
  createSocket: CreateObserverSocket = (url, options) => io(url, options),
): () => void {
  const socket = createSocket(`${origin}${OBSERVERS_NAMESPACE}`, { transports: ['websocket'] });
  const parsed =
    <T>(schema: { safeParse(body: unknown): { success: true; data: T } | { success: false } }, handle: (value: T) => void) =>
    (body: unknown) => {
      const result = schema.safeParse(body);
      if (result.success) handle(result.data);
    };
  socket.on('observers:history', parsed(observerHistorySchema, handlers.history));
  socket.on('observers:sample', parsed(observerSampleSchema, handlers.sample));
  socket.on('observers:snapshot', parsed(networkSnapshotSchema, handlers.snapshot));
  socket.on('connect', () => handlers.connection(true));
  socket.on('disconnect', () => handlers.connection(false));
  socket.on('connect_error', (error) => handlers.connection(false, error instanceof Error ? error.message : String(error)));
  return () => socket.close();
}
