import { PROTOCOL_VERSION, WORKER_NAMESPACE, assertNever, findModel, newNodeId, parseWorkerToCoordinator, resultSigningBytes, wireError } from '@tessera/shared';
import { randomBytes } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type {
  CoordinatorToWorkerEvents,
  CoordinatorToWorkerMessage,
  ErrorCode,
  IceServer,
  ModelCatalogEntry,
  OfferedModel,
  WireError,
  WorkerHello,
  WorkerToCoordinatorEvents,
  WorkerToCoordinatorMessage,
} from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import type { Dispatcher, WorkerMessageOutcome } from '../dispatch/dispatcher.ts';
import type { CoordinatorMetrics } from '../http/coordinator-metrics.ts';
import { Ed25519Key } from '../identity/ed25519-key.ts';
import type { ReputationBook } from '../identity/reputation-book.ts';
import type { PeerSignalling } from '../peers/peer-signalling.ts';
import type { CapabilityProbe } from '../verification/capability-probe.ts';
import type { Verifier } from '../verification/verifier.ts';
import type { WorkerRegistry } from './worker-registry.ts';
import { servableModels, type WorkerSession } from './worker-session.ts';

export interface WorkerGatewayOptions {
  io: Server;
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  verifier: Verifier;
  probe: CapabilityProbe;
  reputation: ReputationBook;
  peers: PeerSignalling;
  catalog: readonly ModelCatalogEntry[];
  heartbeatIntervalMs: number;
  leaseMs: number;
  /** STUN/TURN servers handed to every tab in `worker:welcome`. */
  iceServers: readonly IceServer[];
  /** `peer:*` messages one connection may send per second; the coordinator relays them, so they are bounded. */
  peerMessagesPerSecond: number;
  /** A socket that has not said `worker:hello` by then is dropped. */
  helloTimeoutMs: number;
  /** Refused messages a tab may send before it is disconnected. */
  maxViolations: number;
  logger: FastifyBaseLogger;
  metrics: CoordinatorMetrics;
  now?: () => number;
}

type WorkerSocket = Socket<WorkerToCoordinatorEvents, CoordinatorToWorkerEvents>;

const KNOWN_EVENTS: ReadonlySet<string> = new Set<keyof WorkerToCoordinatorEvents>([
  'worker:hello',
  'worker:heartbeat',
  'task:accept',
  'task:chunk',
  'task:result',
  'task:error',
  'verify:verdict',
  'verify:error',
  'task:handoff',
  'peer:seek',
  'peer:signal',
  'peer:report',
]);

/** socket.io's emit is typed per event name; the switch lets TypeScript check each payload. */
function sendToTab(socket: WorkerSocket, message: CoordinatorToWorkerMessage): void {
  switch (message.event) {
    case 'worker:welcome':
      socket.emit(message.event, message.payload);
      return;
    case 'task:assign':
      socket.emit(message.event, message.payload);
      return;
    case 'task:cancel':
      socket.emit(message.event, message.payload);
      return;
    case 'verify:assign':
      socket.emit(message.event, message.payload);
      return;
    case 'verify:cancel':
      socket.emit(message.event, message.payload);
      return;
    case 'protocol:error':
      socket.emit(message.event, message.payload);
      return;
    case 'peer:seeders':
      socket.emit(message.event, message.payload);
      return;
    case 'peer:signal':
      socket.emit(message.event, message.payload);
      return;
    default:
      assertNever(message, 'coordinator message');
  }
}

/** Keeps the offered models that are in the catalog, once each. */
function offeredModels(catalog: readonly ModelCatalogEntry[], offered: readonly OfferedModel[]): Map<string, OfferedModel> {
  const models = new Map<string, OfferedModel>();
  for (const model of offered) if (findModel(catalog, model.id) !== undefined && !models.has(model.id)) models.set(model.id, model);
  return models;
}

const OK: WorkerMessageOutcome = { ok: true };

/**
 * The `/worker` socket.io namespace: turns tab messages into dispatcher, verifier and probe calls. Every
 * payload is parsed against its shared schema and every result and verdict must carry a valid signature
 * of the tab's key; a refused message changes nothing, is answered with `protocol:error` and logged, and a
 * tab that keeps sending them is disconnected.
 */
export class WorkerGateway {
  readonly #options: WorkerGatewayOptions;
  readonly #now: () => number;
  #sweeper: NodeJS.Timeout | undefined;
  /** Kept as counters: recounting every session on each join made connecting many tabs O(n²). */
  readonly #connected = { worker: 0, guard: 0, requester: 0 };
  readonly #peerLimiter: RateLimiterMemory;

  constructor(options: WorkerGatewayOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#peerLimiter = new RateLimiterMemory({ keyPrefix: 'peer', points: options.peerMessagesPerSecond, duration: 1 });
  }

  /**
   * Runs a `peer:*` message within the connection's rate; beyond it the message is refused and changes
   * nothing. The limiter settles calls in order, so a link's offer still comes before its candidates.
   */
  #peerLimited(session: WorkerSession, run: () => { ok: true } | { ok: false; code: ErrorCode; message: string }): Promise<WorkerMessageOutcome> {
    return this.#peerLimiter.consume(session.nodeId).then(
      (): WorkerMessageOutcome => {
        const outcome = run();
        return outcome.ok ? OK : { ok: false, error: wireError(outcome.code, outcome.message) };
      },
      (): WorkerMessageOutcome => ({ ok: false, error: wireError('rate_limited', `More than ${this.#options.peerMessagesPerSecond} peer messages in a second; this one was dropped.`) }),
    );
  }

  start(): void {
    const namespace = this.#options.io.of(WORKER_NAMESPACE);
    namespace.on('connection', (socket: WorkerSocket) => this.#onConnection(socket));
    this.#sweeper = setInterval(() => this.sweep(), this.#options.heartbeatIntervalMs);
    this.#sweeper.unref();
  }

  stop(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Drops tabs whose heartbeats stopped (L1 liveness); their tasks go back to the queue. */
  sweep(): void {
    const cutoff = this.#now() - this.#options.heartbeatIntervalMs * 3;
    for (const session of [...this.#options.registry.all()]) {
      if (session.lastSeenAt < cutoff) {
        this.#options.logger.warn({ nodeId: session.nodeId }, 'tab missed its heartbeats; dropping it');
        session.channel.disconnect();
        this.#forget(session);
      }
    }
  }

  /** Re-derives what placement may give the tab after its offer or a check changed. */
  reindex(session: WorkerSession): void {
    if (this.#options.registry.get(session.nodeId) !== session) return;
    this.#options.registry.updateModels(session, servableModels(session));
    if (session.role === 'guard') this.#options.verifier.guardAvailable();
    else this.#options.dispatcher.workerAvailable(session);
  }

  #onConnection(socket: WorkerSocket): void {
    const log = this.#options.logger.child({ socketId: socket.id });
    let session: WorkerSession | undefined;
    let violations = 0;
    const helloTimer = setTimeout(() => {
      if (session === undefined) {
        log.info('no worker:hello in time; closing');
        socket.disconnect(true);
      }
    }, this.#options.helloTimeoutMs);

    const refuse = (event: string, error: WireError): void => {
      violations++;
      this.#options.metrics.protocolError(KNOWN_EVENTS.has(event) ? event : 'unknown');
      log.warn({ event, code: error.code, nodeId: session?.nodeId }, `refused tab message: ${error.message}`);
      sendToTab(socket, { event: 'protocol:error', payload: { event: event.slice(0, 100), error } });
      if (violations >= this.#options.maxViolations) {
        log.warn({ nodeId: session?.nodeId }, 'too many refused messages; disconnecting tab');
        socket.disconnect(true);
      }
    };

    socket.onAny((event: unknown, ...args: unknown[]) => {
      const name = typeof event === 'string' ? event : 'unknown';
      const parsed = parseWorkerToCoordinator(event, args);
      if (!parsed.ok) {
        refuse(name, wireError('protocol_violation', `Invalid ${name.slice(0, 100)} message: ${parsed.reason}`));
        return;
      }
      const { message } = parsed;
      if (message.event === 'worker:hello') {
        if (session !== undefined) {
          refuse(name, wireError('protocol_violation', 'worker:hello was already received on this connection.'));
          return;
        }
        if (message.payload.protocolVersion !== PROTOCOL_VERSION) {
          refuse(name, wireError('protocol_version_unsupported', `Protocol version ${message.payload.protocolVersion} is not supported; this coordinator speaks ${PROTOCOL_VERSION}. Reload the page.`));
          socket.disconnect(true);
          return;
        }
        let key: Ed25519Key;
        try {
          key = new Ed25519Key(message.payload.publicKey);
        } catch {
          refuse(name, wireError('protocol_violation', 'publicKey is not a valid Ed25519 public key.'));
          return;
        }
        clearTimeout(helloTimer);
        session = this.#join(socket, message.payload, key);
        log.info({ nodeId: session.nodeId, key: key.fingerprint, role: session.role, models: [...session.offeredModels.keys()], gpu: message.payload.capabilities.gpu?.description ?? null }, 'tab joined');
        return;
      }
      if (session === undefined) {
        refuse(name, wireError('protocol_violation', `Send worker:hello before ${name}.`));
        return;
      }
      session.lastSeenAt = this.#now();
      const outcome = this.#handle(session, message);
      if (outcome instanceof Promise) {
        void outcome.then((settled) => {
          if (!settled.ok) refuse(name, settled.error);
        });
      } else if (!outcome.ok) {
        refuse(name, outcome.error);
      }
    });

    socket.on('disconnect', (reason) => {
      clearTimeout(helloTimer);
      if (session === undefined) return;
      log.info({ nodeId: session.nodeId, reason, activeTasks: session.activeTasks.size }, 'tab left');
      this.#forget(session);
    });
  }

  #join(socket: WorkerSocket, hello: WorkerHello, key: Ed25519Key): WorkerSession {
    const now = this.#now();
    const session: WorkerSession = {
      nodeId: newNodeId(),
      role: hello.role,
      key,
      directStreamKey: randomBytes(16).toString('base64url'),
      channel: {
        send: (message) => sendToTab(socket, message),
        disconnect: () => {
          socket.disconnect(true);
        },
      },
      capabilities: hello.capabilities,
      offeredModels: offeredModels(this.#options.catalog, hello.capabilities.models),
      models: new Map(),
      modelChecks: new Map(),
      activeTasks: new Set(),
      activeJobs: new Set(),
      connectedAt: now,
      lastSeenAt: now,
      lastAssignedAt: 0,
      completedTasks: 0,
      failedTasks: 0,
      verdicts: { valid: 0, invalid: 0 },
      tokensPerSecond: hello.capabilities.benchmarkTokensPerSecond,
    };
    this.#options.registry.add(session);
    this.#connected[session.role]++;
    this.#reportWorkers();
    sendToTab(socket, {
      event: 'worker:welcome',
      payload: {
        nodeId: session.nodeId,
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
        leaseMs: this.#options.leaseMs,
        iceServers: [...this.#options.iceServers],
        directStreamKey: session.directStreamKey,
      },
    });
    this.#options.probe.probe(session);
    this.reindex(session);
    return session;
  }

  #handle(session: WorkerSession, message: Exclude<WorkerToCoordinatorMessage, { event: 'worker:hello' }>): WorkerMessageOutcome | Promise<WorkerMessageOutcome> {
    const { dispatcher, probe, verifier } = this.#options;
    switch (message.event) {
      case 'worker:heartbeat':
        session.offeredModels = offeredModels(this.#options.catalog, message.payload.models);
        probe.probe(session);
        this.reindex(session);
        return OK;
      case 'task:accept':
        return probe.owns(message.payload.taskId) ? OK : dispatcher.taskAccepted(session, message.payload.taskId);
      case 'task:chunk':
        return probe.owns(message.payload.taskId) ? OK : dispatcher.taskChunk(session, message.payload);
      case 'task:result': {
        const result = message.payload;
        if (probe.owns(result.taskId)) {
          return probe.result(session, result) ? OK : { ok: false, error: wireError('signature_invalid', 'The result signature does not verify against this tab\'s key.') };
        }
        const signed = resultSigningBytes({ nodeId: session.nodeId, taskId: result.taskId, output: result.output, usage: result.usage });
        return session.key.verifyAsync(signed, result.signature).then((valid): WorkerMessageOutcome => {
          if (!valid) {
            const error = wireError('signature_invalid', 'The result signature does not verify against this tab\'s key.');
            // A mis-signed answer counts as a failed attempt: the task goes to another tab.
            dispatcher.taskError(session, { taskId: result.taskId, ...error, retryable: true });
            return { ok: false, error };
          }
          return dispatcher.taskResult(session, result);
        });
      }
      case 'task:error':
        if (probe.owns(message.payload.taskId)) {
          probe.error(session, message.payload);
          return OK;
        }
        return dispatcher.taskError(session, message.payload);
      case 'verify:verdict': {
        const outcome = verifier.verdict(session, message.payload);
        return outcome.ok ? OK : { ok: false, error: wireError(outcome.code, outcome.message) };
      }
      case 'verify:error': {
        const outcome = verifier.error(session, message.payload);
        return outcome.ok ? OK : { ok: false, error: wireError(outcome.code, outcome.message) };
      }
      case 'task:handoff':
        // A known-answer check looks like any task to the tab (on purpose), and may be offered; it stays.
        // Answered like any declined hand-off: `not_assigned` would tell a cheating tab which tasks are checks.
        if (probe.owns(message.payload.taskId)) return { ok: false, error: wireError('handoff_refused', `Task ${message.payload.taskId} stays with this tab: it cannot be moved.`) };
        return dispatcher.handoff(session, message.payload);
      case 'peer:report': {
        const report = message.payload;
        return this.#peerLimited(session, () => this.#options.peers.report(session, report));
      }
      case 'peer:seek': {
        const seek = message.payload;
        return this.#peerLimited(session, () => this.#options.peers.seek(session, seek));
      }
      case 'peer:signal': {
        const signal = message.payload;
        return this.#peerLimited(session, () => this.#options.peers.relay(session, signal));
      }
      default:
        return assertNever(message, 'worker message');
    }
  }

  #forget(session: WorkerSession): void {
    if (this.#options.registry.remove(session.nodeId) === undefined) return;
    void this.#peerLimiter.delete(session.nodeId);
    this.#options.probe.forget(session);
    this.#options.dispatcher.workerGone(session);
    this.#options.verifier.guardGone(session);
    this.#options.peers.forget(session.nodeId);
    const connectedSeconds = (this.#now() - session.connectedAt) / 1000;
    this.#options.reputation.update(session.key.publicKey, (stats) => ({ ...stats, uptimeSeconds: stats.uptimeSeconds + connectedSeconds }));
    this.#connected[session.role]--;
    this.#reportWorkers();
  }

  #reportWorkers(): void {
    this.#options.metrics.workersConnected('worker', this.#connected.worker);
    this.#options.metrics.workersConnected('guard', this.#connected.guard);
    this.#options.metrics.workersConnected('requester', this.#connected.requester);
  }
}
