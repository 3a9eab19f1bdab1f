import type { z } from 'zod';
import { coordinatorToWorkerSchemas as toWorker, workerToCoordinatorSchemas as toCoordinator } from './socket-events.ts';

type SchemaMap = Record<string, z.ZodType>;

/** One parsed message of a schema map: `{ event, payload }`, a union the receiver can `switch` on exhaustively. */
export type SocketMessage<Schemas extends SchemaMap> = {
  [Event in keyof Schemas & string]: { event: Event; payload: z.infer<Schemas[Event]> };
}[keyof Schemas & string];

/** A tab's socket message after parsing. */
export type WorkerToCoordinatorMessage = SocketMessage<typeof toCoordinator>;
/** A coordinator's socket message after parsing. */
export type CoordinatorToWorkerMessage = SocketMessage<typeof toWorker>;

export type ParseOutcome<Message> = { ok: true; message: Message } | { ok: false; reason: string };

function reason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function isEventOf<Schemas extends SchemaMap>(schemas: Schemas, event: unknown): event is keyof Schemas & string {
  return typeof event === 'string' && Object.hasOwn(schemas, event);
}

/**
 * Parses one socket.io message (its event name and arguments) against a schema map. Adding an event to
 * the protocol is adding its schema to the map: both ends parse and type it from there.
 */
export function parseSocketMessage<Schemas extends SchemaMap>(
  schemas: Schemas,
  event: unknown,
  args: readonly unknown[],
): ParseOutcome<SocketMessage<Schemas>> {
  if (!isEventOf(schemas, event)) return { ok: false, reason: `unknown event '${String(event).slice(0, 100)}'` };
  if (args.length !== 1) return { ok: false, reason: `expected exactly one payload, got ${args.length}` };
  const parsed = schemas[event]?.safeParse(args[0]);
  if (parsed === undefined) return { ok: false, reason: `unknown event '${event}'` };
  if (!parsed.success) return { ok: false, reason: reason(parsed.error) };
  // TypeScript cannot correlate a key with its own schema's output; the payload was just parsed by that schema.
  const message = { event, payload: parsed.data } as SocketMessage<Schemas>;
  return { ok: true, message };
}

/** Parses what a tab sent on the socket: the event name and its single payload. */
export function parseWorkerToCoordinator(event: unknown, args: readonly unknown[]): ParseOutcome<WorkerToCoordinatorMessage> {
  return parseSocketMessage(toCoordinator, event, args);
}

/** Parses what the coordinator sent to a tab. */
export function parseCoordinatorToWorker(event: unknown, args: readonly unknown[]): ParseOutcome<CoordinatorToWorkerMessage> {
  return parseSocketMessage(toWorker, event, args);
}

/** Whether `event` is one a tab may send; for metrics labels that must not grow with garbage names. */
export function isWorkerToCoordinatorEvent(event: string): event is keyof typeof toCoordinator {
  return Object.hasOwn(toCoordinator, event);
}
