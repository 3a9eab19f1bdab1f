import { io } from 'socket.io-client';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { PROTOCOL_VERSION, WORKER_NAMESPACE, parseCoordinatorToWorker } from '@tessera/shared';
import type {
  CoordinatorToWorkerEvent,
  CoordinatorToWorkerEvents,
  NodeId,
  WorkerHeartbeat,
  WorkerHello,
  WorkerToCoordinatorEvent,
  WorkerToCoordinatorEvents,
} from '@tessera/shared';
import { TypedEmitter } from './typed-emitter.ts';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export type WorkerSocket = Socket<CoordinatorToWorkerEvents, WorkerToCoordinatorEvents>;

/** The payload of an event the coordinator sends, as its shared schema parses it. */
export type InboundPayload<E extends CoordinatorToWorkerEvent> = Parameters<CoordinatorToWorkerEvents[E]>[0];

type InboundEvents = { [E in CoordinatorToWorkerEvent]: InboundPayload<E> };

export interface CoordinatorConnectionOptions {
  /** Coordinator origin, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  /** The hello to send on every (re)connect; `protocolVersion` is filled in here. */
  hello: () => Omit<WorkerHello, 'protocolVersion'>;
  heartbeat: () => WorkerHeartbeat;
  onState?: (state: ConnectionState) => void;
  /** The link dropped: tasks in flight are already back in the coordinator's queue. */
  onDisconnect?: (reason: string) => void;
  /** Seam for tests; defaults to socket.io-client's `io`. */
  createSocket?: (url: string, options: Partial<ManagerOptions & SocketOptions>) => WorkerSocket;
}

/**
 * The tab's link to the coordinator: socket.io namespace `/worker`. Says `worker:hello` on every
 * (re)connect and heartbeats at the interval `worker:welcome` gives. Every inbound message is parsed with
 * the shared `parseCoordinatorToWorker` (invalid ones are logged and ignored) and handed to the handlers
 * registered with `on`; `send` is typed from the same shared event map. A new socket event is therefore
 * one schema in `@tessera/shared` plus one `on(...)` where it is handled.
 */
export class CoordinatorConnection {
  readonly #options: CoordinatorConnectionOptions;
  readonly #inbound = new TypedEmitter<InboundEvents>();
  #socket: WorkerSocket | null = null;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #state: ConnectionState = 'disconnected';
  #nodeId: NodeId | null = null;

  constructor(options: CoordinatorConnectionOptions) {
    this.#options = options;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** This connection's node id from `worker:welcome`; null before it and after a disconnect. */
  get nodeId(): NodeId | null {
    return this.#nodeId;
  }

  /** Handles every valid `event` from the coordinator; returns the function that stops handling it. */
  on<E extends CoordinatorToWorkerEvent>(event: E, handler: (payload: InboundPayload<E>) => void): () => void {
    return this.#inbound.on(event, handler);
  }

  /** Sends `event` if the socket exists; socket.io buffers it while reconnecting. */
  send<E extends WorkerToCoordinatorEvent>(event: E, ...payload: Parameters<WorkerToCoordinatorEvents[E]>): void {
    this.#socket?.emit(event, ...payload);
  }

  connect(): void {
    if (this.#socket !== null) return;
    const url = new URL(WORKER_NAMESPACE, this.#options.origin).href;
    const createSocket = this.#options.createSocket ?? ((target, options) => io(target, options));
    const socket = createSocket(url, { transports: ['websocket', 'polling'], reconnectionDelayMax: 10_000 });
    this.#socket = socket;
    this.#setState('connecting');
    socket.on('connect', () => {
      this.#setState('connected');
      socket.emit('worker:hello', { protocolVersion: PROTOCOL_VERSION, ...this.#options.hello() });
    });
    socket.on('disconnect', (reason) => {
      this.#stopHeartbeat();
      this.#nodeId = null;
      this.#setState(socket.active ? 'connecting' : 'disconnected');
      this.#options.onDisconnect?.(reason);
    });
    socket.on('connect_error', () => {
      this.#setState(socket.active ? 'connecting' : 'disconnected');
    });
    socket.onAny((event: string, ...args: unknown[]) => this.#receive(event, args));
    socket.connect();
  }

  close(): void {
    this.#stopHeartbeat();
    this.#nodeId = null;
    this.#socket?.disconnect();
    this.#socket?.removeAllListeners();
    this.#socket = null;
    this.#setState('disconnected');
  }

  /** Sends a heartbeat now, e.g. when the offered models changed. */
  sendHeartbeat(): void {
    if (this.#state === 'connected') this.send('worker:heartbeat', this.#options.heartbeat());
  }

  #receive(event: string, args: readonly unknown[]): void {
    const parsed = parseCoordinatorToWorker(event, args);
    if (!parsed.ok) {
      console.warn(`coordinator: ignored an invalid message (${parsed.reason})`);
      return;
    }
    const message = parsed.message;
    // The connection's own part of two messages; handlers registered with `on` still get them.
    if (message.event === 'worker:welcome') {
      this.#nodeId = message.payload.nodeId;
      this.#startHeartbeat(message.payload.heartbeatIntervalMs);
    } else if (message.event === 'protocol:error') {
      console.warn(`coordinator refused ${message.payload.event}: ${message.payload.error.code}: ${message.payload.error.message}`);
    }
    this.#inbound.emit(message.event, message.payload);
  }

  #startHeartbeat(intervalMs: number): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => this.sendHeartbeat(), intervalMs);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }
}
