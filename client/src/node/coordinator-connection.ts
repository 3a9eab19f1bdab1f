import { io } from 'socket.io-client';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { PROTOCOL_VERSION, WORKER_NAMESPACE, assertNever, parseCoordinatorToWorker, taskResultSchema, verifyVerdictSchema } from '@tessera/shared';
import type {
  CoordinatorToWorkerEvents,
  NodeId,
  PeerReport,
  PeerSeek,
  PeerSeeders,
  PeerSignal,
  PeerSignalRelayed,
  ProtocolError,
  TaskAccept,
  TaskAssign,
  TaskCancel,
  TaskChunk,
  TaskError,
  TaskHandoff,
  TaskResult,
  VerifyAssign,
  VerifyCancel,
  VerifyError,
  VerifyVerdict,
  WorkerHeartbeat,
  WorkerHello,
  WorkerToCoordinatorEvents,
  WorkerWelcome,
} from '@tessera/shared';
import type { VerifySink } from './guard-runner.ts';
import type { TaskSink } from './task-runner.ts';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export type WorkerSocket = Socket<CoordinatorToWorkerEvents, WorkerToCoordinatorEvents>;

export interface CoordinatorConnectionOptions {
  /** Coordinator origin, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  /** The hello to send on every (re)connect; `protocolVersion` is filled in here. */
  hello: () => Omit<WorkerHello, 'protocolVersion'>;
  heartbeat: () => WorkerHeartbeat;
  onAssign: (assign: TaskAssign) => void;
  onCancel: (cancel: TaskCancel) => void;
  /** Guards: a claimed output to check. */
  onVerifyAssign: (assign: VerifyAssign) => void;
  onVerifyCancel: (cancel: VerifyCancel) => void;
  onState?: (state: ConnectionState) => void;
  onWelcome?: (welcome: WorkerWelcome) => void;
  /** The link dropped: tasks in flight are already back in the coordinator's queue. */
  onDisconnect?: (reason: string) => void;
  onProtocolError?: (error: ProtocolError) => void;
  /** The answer to `seekPeers`: tabs this one may now signal (client/src/peer/README.md). */
  onPeerSeeders?: (seeders: PeerSeeders) => void;
  /** A WebRTC signal from an introduced tab, for `PeerHub.handleSignal`. */
  onPeerSignal?: (signal: PeerSignalRelayed) => void;
  /** Seam for tests; defaults to socket.io-client's `io`. */
  createSocket?: (url: string, options: Partial<ManagerOptions & SocketOptions>) => WorkerSocket;
}

/**
 * The tab's link to the coordinator: socket.io namespace `/worker`. Says `worker:hello` on every
 * (re)connect, heartbeats at the interval `worker:welcome` gives, parses every incoming payload with its
 * shared schema (logging and ignoring invalid ones), and is the `TaskSink` the task runner and the
 * `VerifySink` the guard runner report to.
 */
export class CoordinatorConnection implements TaskSink, VerifySink {
  readonly #options: CoordinatorConnectionOptions;
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
    socket.onAny((event: string, ...args: unknown[]) => this.#onEvent(event, args));
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
    if (this.#state === 'connected') this.#socket?.emit('worker:heartbeat', this.#options.heartbeat());
  }

  accept(payload: TaskAccept): void {
    this.#socket?.emit('task:accept', payload);
  }

  chunk(payload: TaskChunk): void {
    this.#socket?.emit('task:chunk', payload);
  }

  result(payload: TaskResult): void {
    // A result the coordinator would refuse (too long, wrong shape) is reported as the error it is.
    const checked = taskResultSchema.safeParse(payload);
    if (!checked.success) {
      const reason = checked.error.issues[0]?.message ?? 'invalid result';
      this.error({ taskId: payload.taskId, code: 'inference_failed', message: `The engine produced an invalid result: ${reason}`, retryable: true });
      return;
    }
    this.#socket?.emit('task:result', checked.data);
  }

  error(payload: TaskError): void {
    this.#socket?.emit('task:error', payload);
  }

  verdict(payload: VerifyVerdict): void {
    // A verdict the coordinator would refuse is reported as the failed check it is.
    const checked = verifyVerdictSchema.safeParse(payload);
    if (!checked.success) {
      const reason = checked.error.issues[0]?.message ?? 'invalid verdict';
      this.verifyError({ jobId: payload.jobId, code: 'inference_failed', message: `The guard produced an invalid verdict: ${reason}` });
      return;
    }
    this.#socket?.emit('verify:verdict', checked.data);
  }

  verifyError(payload: VerifyError): void {
    this.#socket?.emit('verify:error', payload);
  }

  /** Asks the coordinator to introduce this tab to tabs that have a model's files. */
  seekPeers(payload: PeerSeek): void {
    this.#socket?.emit('peer:seek', payload);
  }

  /** Reports a seeder that served bytes failing the catalog's hash. */
  reportPeer(payload: PeerReport): void {
    this.#socket?.emit('peer:report', payload);
  }

  /** Offers a held task to a peer; the coordinator answers with `task:cancel` (moved) or `protocol:error`. */
  handoff(payload: TaskHandoff): void {
    this.#socket?.emit('task:handoff', payload);
  }

  /** Sends a WebRTC signal to an introduced tab through the coordinator (`PeerHub`'s `sendSignal`). */
  signalPeer(payload: PeerSignal): void {
    this.#socket?.emit('peer:signal', payload);
  }

  #onEvent(event: string, args: readonly unknown[]): void {
    const parsed = parseCoordinatorToWorker(event, args);
    if (!parsed.ok) {
      console.warn(`coordinator: ignored an invalid message (${parsed.reason})`);
      return;
    }
    const message = parsed.message;
    switch (message.event) {
      case 'worker:welcome':
        this.#nodeId = message.payload.nodeId;
        this.#startHeartbeat(message.payload.heartbeatIntervalMs);
        this.#options.onWelcome?.(message.payload);
        return;
      case 'task:assign':
        this.#options.onAssign(message.payload);
        return;
      case 'task:cancel':
        this.#options.onCancel(message.payload);
        return;
      case 'verify:assign':
        this.#options.onVerifyAssign(message.payload);
        return;
      case 'verify:cancel':
        this.#options.onVerifyCancel(message.payload);
        return;
      case 'protocol:error':
        console.warn(`coordinator refused ${message.payload.event}: ${message.payload.error.code}: ${message.payload.error.message}`);
        this.#options.onProtocolError?.(message.payload);
        return;
      case 'peer:seeders':
        this.#options.onPeerSeeders?.(message.payload);
        return;
      case 'peer:signal':
        this.#options.onPeerSignal?.(message.payload);
        return;
      default:
        assertNever(message, 'coordinator message');
    }
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
