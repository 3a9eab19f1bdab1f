import {
  PROTOCOL_VERSION,
  WORKER_NAMESPACE,
  assertNever,
  findModel,
  isWorkerToCoordinatorEvent,
  newNodeId,
  parseWorkerToCoordinator,
  resultSigningBytes,
  verdictSigningBytes,
  wireError,
} from '@tessera/shared';
import { randomBytes } from 'node:crypto';
import type {
  CoordinatorToWorkerMessage,
  ErrorCode,
  IceServer,
  ModelCatalogEntry,
  OfferedModel,
  WireError,
  WorkerHello,
  WorkerToCoordinatorMessage,
} from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import type { PeerMessageLimiter } from '../cluster/rate-limiters.ts';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { CoordinatorMetrics } from '../http/coordinator-metrics.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { PeerSignalling } from '../peers/peer-signalling.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { HashPins } from '../models/hash-pins.ts';
import type { KnownAnswerChecks } from '../verification/known-answer-checks.ts';
import type { Verifier } from '../verification/verifier.ts';
import type { AdmissionControl } from './admission-control.ts';
import { Ed25519Key } from './ed25519-key.ts';
import { OK, refusal, type WorkerMessageOutcome } from './worker-message-outcome.ts';
import type { WorkerRegistry } from './worker-registry.ts';
import { servableModels, type WorkerSession } from './worker-session.ts';

export interface WorkerGatewayOptions {
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  verifier: Verifier;
  knownAnswers: KnownAnswerChecks;
  /** Tabs' reports of the files they loaded for hub models without catalog hashes (`model:attest`). */
  hashPins: HashPins;
  events: CoordinatorEventBus;
  peers: PeerSignalling;
  catalog: readonly ModelCatalogEntry[];
  heartbeatIntervalMs: number;
  leaseMs: number;
  /** STUN/TURN servers handed to every tab in `worker:welcome`. */
  iceServers: readonly IceServer[];
  /** `peer:*` messages one connection may send per second; the coordinator relays them, so they are bounded. */
  peerMessagesPerSecond: number;
  /** Counts them: in memory per connection, or in Redis per tab key when instances share one (cluster/rate-limiters.ts). */
  peerLimiter: PeerMessageLimiter;
  /** A socket that has not said `worker:hello` by then is dropped. */
  helloTimeoutMs: number;
  /** Refused messages a tab may send before it is disconnected. */
  maxViolations: number;
  /** Who may join: the identity proof, tabs and new identities per address and network. */
  admission: AdmissionControl;
  logger: FastifyBaseLogger;
  metrics: CoordinatorMetrics;
  now?: () => number;
}

/** Untyped on purpose: every inbound message is parsed in `onAny`, every outbound one is a checked union. */
type WorkerSocket = Socket;

/** socket.io's emit is typed per event name; the message union was checked where it was built. */
function sendToTab(socket: WorkerSocket, message: CoordinatorToWorkerMessage): void {
  socket.emit(message.event, message.payload);
}

/** Keeps the offered models that are in the catalog, once each. */
function offeredModels(catalog: readonly ModelCatalogEntry[], offered: readonly OfferedModel[]): Map<string, OfferedModel> {
  const models = new Map<string, OfferedModel>();
  for (const model of offered) if (findModel(catalog, model.id) !== undefined && !models.has(model.id)) models.set(model.id, model);
  return models;
}

/**
 * The `/worker` socket.io namespace: parses every payload against its shared schema, verifies every
 * signature (results and verdicts) once, and routes each message to the part that owns it — tasks to the
 * dispatcher, checks to the verifier, `peer:*` to signalling. A refused message changes nothing, is
 * answered with `protocol:error` and logged, and a tab that keeps sending them is disconnected.
 */
export class WorkerGateway implements Startable {
  readonly #options: WorkerGatewayOptions;
  readonly #now: () => number;
  #sweeper: NodeJS.Timeout | undefined;
  /** Kept as counters: recounting every session on each join made connecting many tabs O(n²). */
  readonly #connected = { worker: 0, guard: 0, requester: 0 };

  constructor(options: WorkerGatewayOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs a `peer:*` message within the connection's rate; beyond it the message is refused and changes
   * nothing. The limiter settles calls in order, so a link's offer still comes before its candidates.
   */
  #peerLimited(
    session: WorkerSession,
    run: () => { ok: true } | { ok: false; code: ErrorCode; message: string },
  ): Promise<WorkerMessageOutcome> {
    return this.#options.peerLimiter.consume(session).then(
      (): WorkerMessageOutcome => {
        const outcome = run();
        return outcome.ok ? OK : refusal(outcome.code, outcome.message);
      },
      (): WorkerMessageOutcome => ({
        ok: false,
        error: wireError(
          'rate_limited',
          `More than ${this.#options.peerMessagesPerSecond} peer messages in a second; this one was dropped.`,
        ),
      }),
    );
  }

  /** Takes the tabs' connections on the `/worker` namespace of `io` (the socket plugin owns the server). */
  listen(io: Server): void {
    io.of(WORKER_NAMESPACE).on('connection', (socket: WorkerSocket) => this.#onConnection(socket));
  }

  /** Starts the heartbeat sweep (L1 liveness). */
  start(): void {
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
    const client = this.#options.admission.clientOf(socket.request);
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
      this.#options.metrics.protocolError(isWorkerToCoordinatorEvent(event) ? event : 'unknown');
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
          refuse(
            name,
            wireError(
              'protocol_version_unsupported',
              `Protocol version ${message.payload.protocolVersion} is not supported; this coordinator speaks ${PROTOCOL_VERSION}. Reload the page.`,
            ),
          );
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
        const admitted = this.#options.admission.admit(socket.id, message.payload, client);
        if (!admitted.ok) {
          refuse(name, admitted.error);
          socket.disconnect(true);
          return;
        }
        clearTimeout(helloTimer);
        session = this.#join(socket, message.payload, key, client.prefix);
        log.info(
          {
            nodeId: session.nodeId,
            key: key.fingerprint,
            address: client.address,
            newIdentity: admitted.newIdentity,
            role: session.role,
            models: [...session.offeredModels.keys()],
            gpu: message.payload.capabilities.gpu?.description ?? null,
          },
          'tab joined',
        );
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
      this.#options.admission.release(socket.id);
      if (session === undefined) return;
      log.info({ nodeId: session.nodeId, reason, activeTasks: session.activeTasks.size }, 'tab left');
      this.#forget(session);
    });
  }

  #join(socket: WorkerSocket, hello: WorkerHello, key: Ed25519Key, network: string): WorkerSession {
    const now = this.#now();
    const session: WorkerSession = {
      nodeId: newNodeId(),
      network,
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
      // Measured by the coordinator's clock (the known-answer check, then each result); never the tab's claim.
      tokensPerSecond: null,
    };
    this.#options.registry.add(session);
    this.#connected[session.role]++;
    this.#reportWorkers();
    this.#options.events.emit('worker:joined', { worker: session });
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
    this.#options.knownAnswers.probe(session);
    this.reindex(session);
    return session;
  }

  #handle(
    session: WorkerSession,
    message: Exclude<WorkerToCoordinatorMessage, { event: 'worker:hello' }>,
  ): WorkerMessageOutcome | Promise<WorkerMessageOutcome> {
    const { dispatcher, verifier, peers } = this.#options;
    switch (message.event) {
      case 'worker:heartbeat':
        session.offeredModels = offeredModels(this.#options.catalog, message.payload.models);
        this.#options.knownAnswers.probe(session);
        this.reindex(session);
        return OK;
      case 'task:accept':
        return dispatcher.taskAccepted(session, message.payload.taskId);
      case 'task:chunk':
        return dispatcher.taskChunk(session, message.payload);
      case 'task:result': {
        const result = message.payload;
        const signed = resultSigningBytes({ nodeId: session.nodeId, taskId: result.taskId, output: result.output, usage: result.usage });
        return session.key.verifyAsync(signed, result.signature).then((valid): WorkerMessageOutcome | Promise<WorkerMessageOutcome> => {
          if (valid) return dispatcher.taskResult(session, result);
          const error = wireError('signature_invalid', "The result signature does not verify against this tab's key.");
          // A mis-signed answer counts as a failed attempt: the task goes to another tab.
          dispatcher.taskError(session, { taskId: result.taskId, ...error, retryable: true });
          return { ok: false, error };
        });
      }
      case 'task:error':
        return dispatcher.taskError(session, message.payload);
      case 'task:handoff':
        return dispatcher.handoff(session, message.payload);
      case 'verify:verdict': {
        const verdict = message.payload;
        if (!verifier.holds(session, verdict.jobId))
          return refusal('not_assigned', `Verify job ${verdict.jobId} is not assigned to this guard.`);
        const signed = verdictSigningBytes({
          nodeId: session.nodeId,
          jobId: verdict.jobId,
          verdict: verdict.verdict,
          evidence: verdict.evidence,
        });
        if (!session.key.verify(signed, verdict.signature))
          return refusal('signature_invalid', "The verdict signature does not verify against this guard's key.");
        const outcome = verifier.verdict(session, verdict);
        return outcome.ok ? OK : refusal(outcome.code, outcome.message);
      }
      case 'verify:error': {
        const outcome = verifier.error(session, message.payload);
        return outcome.ok ? OK : refusal(outcome.code, outcome.message);
      }
      case 'peer:report': {
        const report = message.payload;
        return this.#peerLimited(session, () => peers.report(session, report));
      }
      case 'peer:seek': {
        const seek = message.payload;
        return this.#peerLimited(session, () => peers.seek(session, seek));
      }
      case 'peer:signal': {
        const signal = message.payload;
        return this.#peerLimited(session, () => peers.relay(session, signal));
      }
      case 'model:attest': {
        const outcome = this.#options.hashPins.attest(session, message.payload);
        if (!outcome.ok) return refusal(outcome.code, outcome.message);
        // The model's check waited for these hashes (or the tab was just refused it): move on either way.
        this.#options.knownAnswers.probe(session);
        this.reindex(session);
        return OK;
      }
      default:
        return assertNever(message, 'worker message');
    }
  }

  #forget(session: WorkerSession): void {
    if (this.#options.registry.remove(session.nodeId) === undefined) return;
    this.#options.peerLimiter.forget(session);
    this.#options.dispatcher.workerGone(session);
    this.#options.verifier.guardGone(session);
    this.#options.peers.forget(session.nodeId);
    this.#options.events.emit('worker:gone', { worker: session, connectedSeconds: (this.#now() - session.connectedAt) / 1000 });
    this.#connected[session.role]--;
    this.#reportWorkers();
  }

  #reportWorkers(): void {
    this.#options.metrics.workersConnected('worker', this.#connected.worker);
    this.#options.metrics.workersConnected('guard', this.#connected.guard);
    this.#options.metrics.workersConnected('requester', this.#connected.requester);
  }
}
