import {
  TesseraError,
  apiClientToServerSchemas,
  assertNever,
  isTerminalStatus,
  parseSocketMessage,
  wireError,
  type ApiServerToClientEvents,
  type ApiStreamAck,
  type TaskId,
  type WireError,
} from '@tessera/shared';
import type { Socket } from 'socket.io';
import { taskView } from '../api/openai-mapping.ts';
import type { ApiKeyRecord, ApiKeyStore } from '../keys/api-key-store.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { TaskRecord } from '../tasks/task-record.ts';

/** What one connection needs of the namespace that holds it. */
export interface ApiStreamHub {
  keys: Pick<ApiKeyStore, 'byId' | 'submittedWith'>;
  tasks: Pick<Dispatcher, 'subscribe' | 'get' | 'queuePosition'>;
  perConnection: number;
  /** Takes one of the key's subscriptions; false when it holds as many as it may. */
  reserve(keyId: string): boolean;
  release(keyId: string): void;
  /** A connection started or stopped following a task, so the hub can route status changes to it. */
  following(taskId: TaskId, connection: ApiStreamConnection, on: boolean): void;
  maxViolations: number;
}

interface Subscription {
  unsubscribe: () => void;
  status: string;
  attempts: number;
}

type Ack = (answer: ApiStreamAck) => void;

/**
 * One developer's connection to `/api`: its subscriptions (each a listener on the dispatcher, which also
 * makes the task awaited here, so other instances relay its chunks and end) and whether it follows every
 * task its key submits. Every message is parsed; a refused one gets `api:error` (and a negative ack) and
 * changes nothing.
 */
export class ApiStreamConnection {
  readonly key: ApiKeyRecord;
  readonly #socket: Socket<Record<string, never>, ApiServerToClientEvents>;
  readonly #hub: ApiStreamHub;
  readonly #subscriptions = new Map<TaskId, Subscription>();
  /** Since when it follows its key's new tasks; null: it does not. */
  ownSince: number | null = null;
  #violations = 0;

  constructor(socket: Socket<Record<string, never>, ApiServerToClientEvents>, key: ApiKeyRecord, hub: ApiStreamHub) {
    this.#socket = socket;
    this.key = key;
    this.#hub = hub;
    socket.onAny((event: unknown, ...args: unknown[]) => this.#onMessage(event, args));
  }

  #onMessage(event: unknown, args: unknown[]): void {
    const last = args.at(-1);
    const ack: Ack | undefined = typeof last === 'function' ? (answer) => void last(answer) : undefined;
    const payloads = ack === undefined ? args : args.slice(0, -1);
    const parsed = parseSocketMessage(apiClientToServerSchemas, event, payloads);
    const name = typeof event === 'string' ? event.slice(0, 100) : '(not a string)';
    if (!parsed.ok) {
      this.#refuse(name, undefined, wireError('protocol_violation', `Refused ${name}: ${parsed.reason}`), ack);
      if (++this.#violations >= this.#hub.maxViolations) this.#socket.disconnect(true);
      return;
    }
    const { message } = parsed;
    try {
      switch (message.event) {
        case 'task:subscribe':
          this.subscribe(message.payload.taskId);
          break;
        case 'task:unsubscribe':
          this.unsubscribe(message.payload.taskId);
          break;
        case 'tasks:subscribe-own':
          this.#assertLive();
          if (this.ownSince === null) {
            if (!this.#reserve()) this.#tooMany();
            this.ownSince = Date.now();
          }
          break;
        default:
          assertNever(message);
      }
      ack?.({ ok: true });
    } catch (error) {
      const wire = error instanceof TesseraError ? error.toWire() : wireError('internal_error', 'The subscription failed.');
      const taskId = message.event === 'tasks:subscribe-own' ? undefined : message.payload.taskId;
      this.#refuse(name, taskId, wire, ack);
    }
  }

  /**
   * Follows a task this key submitted: its status now, then its changes, chunks and end; one that already
   * ended gets its `task:ended` at once. Any other id, whether or not a task has it, is `task_not_found`.
   */
  subscribe(taskId: TaskId): void {
    this.#assertLive();
    if (this.#subscriptions.has(taskId)) return;
    const record = this.#hub.keys.submittedWith(this.key.id, taskId) ? this.#hub.tasks.get(taskId) : undefined;
    if (record === undefined)
      throw new TesseraError('task_not_found', `No task with id '${taskId}' was submitted with this key.`, 'taskId');
    if (isTerminalStatus(record.status)) {
      this.#socket.emit('task:ended', { task: taskView(record, null) });
      return;
    }
    if (!this.#reserve()) this.#tooMany();
    const unsubscribe = this.#hub.tasks.subscribe(taskId, (event) => {
      if (event.type === 'chunk') {
        this.#socket.emit('task:chunk', { taskId, delta: event.delta });
        return;
      }
      this.#end(taskId, event.record);
    });
    this.#subscriptions.set(taskId, { unsubscribe, status: '', attempts: -1 });
    this.#hub.following(taskId, this, true);
    this.statusOf(record);
  }

  unsubscribe(taskId: TaskId): void {
    const subscription = this.#subscriptions.get(taskId);
    if (subscription === undefined) return;
    subscription.unsubscribe();
    this.#forget(taskId);
  }

  /** Tells the task's status if it changed since last told; a record that ended ends the subscription. */
  statusOf(record: TaskRecord): void {
    const subscription = this.#subscriptions.get(record.id);
    if (subscription === undefined) return;
    if (isTerminalStatus(record.status)) {
      subscription.unsubscribe();
      this.#end(record.id, record);
      return;
    }
    if (subscription.status === record.status && subscription.attempts === record.attempts) return;
    subscription.status = record.status;
    subscription.attempts = record.attempts;
    this.#socket.emit('task:status', { taskId: record.id, status: record.status, attempts: record.attempts });
  }

  /** A task its key submitted, heard by a connection that follows its key's tasks. */
  ownTask(taskId: TaskId): void {
    if (this.ownSince === null || this.#subscriptions.has(taskId)) return;
    try {
      this.subscribe(taskId);
    } catch (error) {
      if (error instanceof TesseraError) this.#refuse('tasks:subscribe-own', taskId, error.toWire());
    }
  }

  subscribedIds(): TaskId[] {
    return [...this.#subscriptions.keys()];
  }

  /** The connection closed: every subscription goes. */
  close(): void {
    for (const taskId of [...this.#subscriptions.keys()]) this.unsubscribe(taskId);
    if (this.ownSince !== null) this.#hub.release(this.key.id);
    this.ownSince = null;
  }

  #end(taskId: TaskId, record: TaskRecord): void {
    if (!this.#subscriptions.has(taskId)) return;
    this.#forget(taskId);
    this.#socket.emit('task:ended', { task: taskView(record, null) });
  }

  #forget(taskId: TaskId): void {
    this.#subscriptions.delete(taskId);
    this.#hub.following(taskId, this, false);
    this.#hub.release(this.key.id);
  }

  #reserve(): boolean {
    const held = this.#subscriptions.size + (this.ownSince === null ? 0 : 1);
    return held < this.#hub.perConnection && this.#hub.reserve(this.key.id);
  }

  #tooMany(): never {
    throw new TesseraError(
      'too_many_subscriptions',
      `This connection may hold ${this.#hub.perConnection} subscriptions, and a key a bounded number on each coordinator; unsubscribe from some first.`,
    );
  }

  /** A key revoked while connected loses its connection at its next request. */
  #assertLive(): void {
    if (this.#hub.keys.byId(this.key.id)?.revokedAt === null) return;
    setImmediate(() => this.#socket.disconnect(true));
    throw new TesseraError('invalid_api_key', 'This API key was revoked.');
  }

  #refuse(event: string, taskId: TaskId | undefined, error: WireError, ack?: Ack): void {
    this.#socket.emit('api:error', { event, ...(taskId === undefined ? {} : { taskId }), error });
    ack?.({ ok: false, error });
  }
}
