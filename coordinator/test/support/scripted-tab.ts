import { PROTOCOL_VERSION, WORKER_NAMESPACE, parseCoordinatorToWorker } from '@tessera/shared';
import type {
  Capabilities,
  CoordinatorToWorkerEvents,
  CoordinatorToWorkerMessage,
  OfferedModel,
  TaskAssign,
  WorkerRole,
  WorkerToCoordinatorEvents,
  WorkerWelcome,
} from '@tessera/shared';
import { io, type Socket } from 'socket.io-client';

/** What a scripted tab does with an assignment: answer through the socket it is given, or not at all. */
export type AssignmentHandler = (assign: TaskAssign, socket: ScriptedTabSocket) => unknown;
export type ScriptedTabSocket = Socket<CoordinatorToWorkerEvents, WorkerToCoordinatorEvents>;

export interface ScriptedTabOptions {
  url: string;
  models: readonly OfferedModel[];
  role?: WorkerRole;
  maxConcurrentTasks?: number;
  onAssign: AssignmentHandler;
}

export function capabilitiesFor(models: readonly OfferedModel[], maxConcurrentTasks = 1): Capabilities {
  return {
    userAgent: 'tessera-scripted-tab',
    hardwareConcurrency: 2,
    gpu: null,
    backends: ['wasm'],
    engines: ['transformers'],
    models: [...models],
    benchmarkTokensPerSecond: null,
    maxConcurrentTasks,
  };
}

/**
 * A Node socket.io client speaking the real tab protocol with scripted answers: honest, slow, silent or
 * hostile. Used by coordinator tests and the routing benchmark.
 */
export class ScriptedTab {
  readonly socket: ScriptedTabSocket;
  readonly received: CoordinatorToWorkerMessage[] = [];
  welcome: WorkerWelcome | undefined;
  readonly #welcomed: Promise<WorkerWelcome>;

  constructor(private readonly options: ScriptedTabOptions) {
    this.socket = io(`${options.url}${WORKER_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.#welcomed = new Promise((resolve, reject) => {
      this.socket.on('connect_error', reject);
      this.socket.onAny((event: unknown, ...args: unknown[]) => {
        const parsed = parseCoordinatorToWorker(event, args);
        if (!parsed.ok) throw new Error(`coordinator sent an invalid ${String(event)}: ${parsed.reason}`);
        const message = parsed.message;
        this.received.push(message);
        if (message.event === 'worker:welcome') {
          this.welcome = message.payload;
          resolve(message.payload);
        } else if (message.event === 'task:assign') {
          void options.onAssign(message.payload, this.socket);
        }
      });
    });
    this.socket.on('connect', () => {
      this.socket.emit('worker:hello', {
        protocolVersion: PROTOCOL_VERSION,
        role: options.role ?? 'worker',
        publicKey: null,
        capabilities: capabilitiesFor(options.models, options.maxConcurrentTasks),
      });
    });
  }

  /** Resolves once the coordinator welcomed the tab. */
  ready(): Promise<WorkerWelcome> {
    return this.#welcomed;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export function loaded(id: string): OfferedModel {
  return { id, state: 'loaded', backend: 'wasm' };
}
