import {
  API_KEY_PREFIX,
  API_NAMESPACE,
  API_STREAM_SUBSCRIPTIONS_PER_CONNECTION,
  API_STREAM_SUBSCRIPTIONS_PER_KEY,
  apiStreamAuthSchema,
  taskIdSchema,
  wireError,
  type ApiServerToClientEvents,
  type ErrorCode,
  type TaskId,
} from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { ApiKeyRecord, ApiKeyStore } from '../keys/api-key-store.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { ApiStreamConnection, type ApiStreamHub } from './api-stream-connection.ts';

export interface DeveloperStreamOptions {
  keys: Pick<ApiKeyStore, 'byKey' | 'byId' | 'submittedWith' | 'tasksSince'>;
  tasks: Pick<Dispatcher, 'subscribe' | 'get' | 'queuePosition'>;
  events: CoordinatorEventBus;
  logger: FastifyBaseLogger;
  /**
   * Several instances on one database: tasks a key submits on another instance reach its connections here
   * from `api_key_tasks`, read on every sweep. Alone, every submission is heard as it happens.
   */
  sharedDatabase: boolean;
  /** How often status is compared with the record and other instances' submissions are looked for. */
  sweepMs?: number;
  perConnection?: number;
  perKey?: number;
}

/** How far back a sweep looks for other instances' submissions: their clocks may differ from ours by this much. */
const CLOCK_SKEW_MS = 5000;

type ApiSocket = Socket<Record<string, never>, ApiServerToClientEvents>;

function refusal(code: ErrorCode, message: string): Error {
  return Object.assign(new Error(message), { data: wireError(code, message) });
}

/** The key a handshake carries: `auth: {key}`, else `Authorization: Bearer …`, else `x-api-key`. */
function handshakeKey(socket: Socket): string | undefined {
  const auth = apiStreamAuthSchema.safeParse(socket.handshake.auth);
  if (auth.success) return auth.data.key;
  const authorization = socket.handshake.headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim();
  const apiKey = socket.handshake.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/**
 * The `/api` namespace: developers' connections, authenticated with their API key at the handshake, each
 * following tasks of its own key (`ApiStreamConnection`). Chunks and ends come from the dispatcher's
 * subscriptions (relayed from other instances for tasks awaited here); status changes from the event bus
 * for tasks open here, and from a sweep that compares each followed task with its record once a second,
 * which covers tasks running on other instances and any change no event told.
 */
export class DeveloperStream implements Startable {
  readonly #options: DeveloperStreamOptions;
  readonly #connections = new Set<ApiStreamConnection>();
  readonly #followers = new Map<TaskId, Set<ApiStreamConnection>>();
  readonly #perKey = new Map<string, number>();
  /** Submissions already handed to own-followers, by task, with when this instance saw them. */
  readonly #seenOwn = new Map<string, number>();
  #sweptAt = 0;
  readonly #hub: ApiStreamHub;
  #timer: NodeJS.Timeout | undefined;
  #offEvents: (() => void)[] = [];

  constructor(options: DeveloperStreamOptions) {
    this.#options = options;
    const perKey = options.perKey ?? API_STREAM_SUBSCRIPTIONS_PER_KEY;
    this.#hub = {
      keys: options.keys,
      tasks: options.tasks,
      perConnection: options.perConnection ?? API_STREAM_SUBSCRIPTIONS_PER_CONNECTION,
      maxViolations: 50,
      reserve: (keyId) => {
        const held = this.#perKey.get(keyId) ?? 0;
        if (held >= perKey) return false;
        this.#perKey.set(keyId, held + 1);
        return true;
      },
      release: (keyId) => {
        const held = (this.#perKey.get(keyId) ?? 0) - 1;
        if (held <= 0) this.#perKey.delete(keyId);
        else this.#perKey.set(keyId, held);
      },
      following: (taskId, connection, on) => {
        let set = this.#followers.get(taskId);
        if (on) {
          if (set === undefined) this.#followers.set(taskId, (set = new Set()));
          set.add(connection);
        } else if (set !== undefined) {
          set.delete(connection);
          if (set.size === 0) this.#followers.delete(taskId);
        }
      },
    };
  }

  /** Opens `/api` on the coordinator's socket.io server. */
  listen(io: Server): void {
    const namespace = io.of(API_NAMESPACE);
    namespace.use((socket, next) => {
      const sent = handshakeKey(socket);
      if (sent === undefined) {
        next(
          refusal('invalid_api_key', "Send your API key: io(url + '/api', { auth: { key: 'tsra_…' } }) or Authorization: Bearer tsra_…."),
        );
        return;
      }
      const key = sent.startsWith(API_KEY_PREFIX) ? this.#options.keys.byKey(sent) : undefined;
      if (key === undefined) {
        next(refusal('invalid_api_key', 'This API key is not valid: it is unknown or was revoked.'));
        return;
      }
      Object.assign(socket.data, { keyId: key.id });
      next();
    });
    namespace.on('connection', (socket: ApiSocket) => {
      const keyId: unknown = Reflect.get(socket.data as object, 'keyId');
      const key: ApiKeyRecord | undefined = typeof keyId === 'string' ? this.#options.keys.byId(keyId) : undefined;
      if (key === undefined) {
        socket.disconnect(true);
        return;
      }
      const connection = new ApiStreamConnection(socket, key, this.#hub);
      this.#connections.add(connection);
      socket.on('disconnect', () => {
        connection.close();
        this.#connections.delete(connection);
      });
    });
  }

  start(): void {
    const { events } = this.#options;
    const changed = ({ record }: { record: TaskRecord }): void => this.#statusChanged(record);
    this.#offEvents = [events.on('task:assigned', changed), events.on('task:requeued', changed)];
    this.#timer = setInterval(() => this.sweep(), this.#options.sweepMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const off of this.#offEvents) off();
    this.#offEvents = [];
  }

  /** A task was submitted here with a key (`keyedTasks`): connections following that key's tasks follow it. */
  keySubmitted(keyId: string, record: TaskRecord): void {
    if (this.#options.sharedDatabase) this.#seenOwn.set(record.id, Date.now());
    for (const connection of this.#connections) if (connection.key.id === keyId) connection.ownTask(record.id);
  }

  /** Compares each followed task with its record, and hands other instances' new submissions to own-followers. */
  sweep(): void {
    for (const taskId of [...this.#followers.keys()]) {
      const record = this.#options.tasks.get(taskId);
      if (record !== undefined) this.#statusChanged(record);
    }
    if (this.#options.sharedDatabase) this.#sweepOwn();
  }

  /**
   * Reads the rows of `api_key_tasks` recorded since the last sweep (less the clock skew allowed between
   * instances) for each key some connection here follows; a task already handed over is remembered long
   * enough that a later window cannot hand it over again.
   */
  #sweepOwn(): void {
    const now = Date.now();
    const byKey = new Map<string, ApiStreamConnection[]>();
    for (const connection of this.#connections) {
      if (connection.ownSince === null) continue;
      byKey.set(connection.key.id, [...(byKey.get(connection.key.id) ?? []), connection]);
    }
    const from = this.#sweptAt - CLOCK_SKEW_MS;
    this.#sweptAt = now;
    for (const [keyId, connections] of byKey) {
      const since = Math.max(from, Math.min(...connections.map((connection) => connection.ownSince ?? now)) - CLOCK_SKEW_MS);
      for (const { taskId, createdAt } of this.#options.keys.tasksSince(keyId, since, 500)) {
        if (this.#seenOwn.has(taskId)) continue;
        this.#seenOwn.set(taskId, now);
        const parsed = taskIdSchema.safeParse(taskId);
        if (!parsed.success) continue;
        for (const connection of connections)
          if (createdAt >= (connection.ownSince ?? Infinity) - CLOCK_SKEW_MS) connection.ownTask(parsed.data);
      }
    }
    for (const [taskId, seenAt] of this.#seenOwn) if (seenAt < now - 4 * CLOCK_SKEW_MS) this.#seenOwn.delete(taskId);
  }

  #statusChanged(record: TaskRecord): void {
    const followers = this.#followers.get(record.id);
    if (followers === undefined) return;
    for (const connection of [...followers]) connection.statusOf(record);
  }
}
