import type { z } from 'zod';
import {
  coordinatorToWorkerSchemas as toWorker,
  workerToCoordinatorSchemas as toCoordinator,
} from './socket-events.ts';

type MessageUnion<Schemas extends Record<string, z.ZodType>> = {
  [Event in keyof Schemas]: { event: Event; payload: z.infer<Schemas[Event]> };
}[keyof Schemas];

/** A tab's socket message after parsing, as a union the receiver can `switch` on exhaustively. */
export type WorkerToCoordinatorMessage = MessageUnion<typeof toCoordinator>;
/** A coordinator's socket message after parsing. */
export type CoordinatorToWorkerMessage = MessageUnion<typeof toWorker>;

export type ParseOutcome<Message> = { ok: true; message: Message } | { ok: false; reason: string };

function reason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function unknownEvent(event: unknown): { ok: false; reason: string } {
  return { ok: false, reason: `unknown event '${String(event).slice(0, 100)}'` };
}

/** Parses what a tab sent on the socket: the event name and its single payload. */
export function parseWorkerToCoordinator(event: unknown, args: readonly unknown[]): ParseOutcome<WorkerToCoordinatorMessage> {
  if (args.length !== 1) return { ok: false, reason: `expected exactly one payload, got ${args.length}` };
  const payload = args[0];
  switch (event) {
    case 'worker:hello': {
      const r = toCoordinator['worker:hello'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'worker:hello', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'worker:heartbeat': {
      const r = toCoordinator['worker:heartbeat'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'worker:heartbeat', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:accept': {
      const r = toCoordinator['task:accept'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:accept', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:chunk': {
      const r = toCoordinator['task:chunk'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:chunk', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:result': {
      const r = toCoordinator['task:result'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:result', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:error': {
      const r = toCoordinator['task:error'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:error', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'verify:verdict': {
      const r = toCoordinator['verify:verdict'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'verify:verdict', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'verify:error': {
      const r = toCoordinator['verify:error'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'verify:error', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'peer:seek': {
      const r = toCoordinator['peer:seek'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'peer:seek', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:handoff': {
      const r = toCoordinator['task:handoff'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:handoff', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'peer:report': {
      const r = toCoordinator['peer:report'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'peer:report', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'peer:signal': {
      const r = toCoordinator['peer:signal'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'peer:signal', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    default:
      return unknownEvent(event);
  }
}

/** Parses what the coordinator sent to a tab. */
export function parseCoordinatorToWorker(event: unknown, args: readonly unknown[]): ParseOutcome<CoordinatorToWorkerMessage> {
  if (args.length !== 1) return { ok: false, reason: `expected exactly one payload, got ${args.length}` };
  const payload = args[0];
  switch (event) {
    case 'worker:welcome': {
      const r = toWorker['worker:welcome'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'worker:welcome', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:assign': {
      const r = toWorker['task:assign'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:assign', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'task:cancel': {
      const r = toWorker['task:cancel'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'task:cancel', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'verify:assign': {
      const r = toWorker['verify:assign'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'verify:assign', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'verify:cancel': {
      const r = toWorker['verify:cancel'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'verify:cancel', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'protocol:error': {
      const r = toWorker['protocol:error'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'protocol:error', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'peer:seeders': {
      const r = toWorker['peer:seeders'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'peer:seeders', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    case 'peer:signal': {
      const r = toWorker['peer:signal'].safeParse(payload);
      return r.success ? { ok: true, message: { event: 'peer:signal', payload: r.data } } : { ok: false, reason: reason(r.error) };
    }
    default:
      return unknownEvent(event);
  }
}
