import { assertNever } from '@tessera/shared';
import type {
  Backend,
  Capabilities,
  EmbeddedIn,
  EngineId,
  ModelAttest,
  ModelCatalogEntry,
  NodeId,
  OfferedModel,
  TaskAssign,
  VerifyAssign,
} from '@tessera/shared';
import type { InferenceEngine } from '../engine/inference-engine.ts';
import type { TabIdentity } from '../identity/tab-identity.ts';
import { MemoryModelFileStore, hasAllFiles } from '../model-files/model-file-store.ts';
import type { ModelFileStore } from '../model-files/model-file-store.ts';
import { createDirectStreamSender } from '../peer/direct-stream-sender.ts';
import type { DirectTextStream } from '../peer/direct-text-stream.ts';
import { HandoffPlanner } from '../peer/handoff-planner.ts';
import type { PeerNetworkOptions } from '../peer/peer-network.ts';
import type { TabPeers } from '../peer/tab-peers.ts';
import { connectionSinks } from './connection-sinks.ts';
import { CoordinatorConnection } from './coordinator-connection.ts';
import type { ConnectionState } from './coordinator-connection.ts';
import { availableBackends } from './device-fit.ts';
import type { DeviceInfo } from './device-fit.ts';
import { GuardRunner } from './guard-runner.ts';
import type { GuardCheck } from './guard-runner.ts';
import type { LoaderNetwork } from './model-loader.ts';
import { summarizePeers } from './peer-summary.ts';
import type { PeerSummary } from './peer-summary.ts';
import { TaskRunner } from './task-runner.ts';
import type { ServedTask, TaskSink } from './task-runner.ts';
import type { ModelLoadStatus } from './volunteer-node-events.ts';
import type { VolunteerOptions } from './volunteer-options.ts';

/** A task waiting in this tab longer than this is offered to an idle neighbour. */
const HANDOFF_AFTER_MS = 250;

/** What this tab offers, read afresh for every hello and heartbeat. */
export interface SessionOffer {
  device: DeviceInfo | null;
  backend: Backend;
  selected: readonly string[];
  status(id: string): ModelLoadStatus | undefined;
}

export interface NetworkSessionOptions {
  options: Pick<VolunteerOptions, 'role' | 'coordinatorOrigin' | 'maxConcurrentTasks'>;
  catalog: readonly ModelCatalogEntry[];
  engine: InferenceEngine;
  identity: TabIdentity;
  userAgent: string;
  store: ModelFileStore | null;
  createPeerNetwork: ((options: PeerNetworkOptions) => TabPeers | null) | null;
  offer: () => SessionOffer;
  /** Resolves once the model is loaded (loading it on demand if the tab offers it), or throws. */
  ensureModel: (modelId: string) => Promise<void>;
  /** The file hashes reported so far (`ModelLoader.attestations`), told again to every new connection. */
  attestations: () => Iterable<ModelAttest>;
  /** Whether the tab still means to serve: a drop is then worth a line in the log. */
  consented: () => boolean;
  onConnectionState: (state: ConnectionState) => void;
  onWelcome: (nodeId: NodeId) => void;
  /** `activeTasks`: the tasks the tab holds once this update is taken into account. */
  onTask: (task: ServedTask, activeTasks: number) => void;
  onCheck: (check: GuardCheck) => void;
  /** Called a few times a second while joined, whether or not anything changed. */
  onPeers: (peers: PeerSummary) => void;
  log: (message: string) => void;
  /** The embeddable widget's frame: the page it runs in and its site key, told in `worker:hello`. */
  embeddedIn?: EmbeddedIn;
}

/**
 * One stay of the tab on the network, from joining to leaving: the coordinator connection, the task and
 * guard runners it feeds, the peer layer, and hand-offs (a busy tab offers waiting tasks to idle
 * neighbours; a leaving one offers everything it holds). A new session is made for every join.
 */
export class NetworkSession implements LoaderNetwork {
  readonly #options: NetworkSessionOptions;
  readonly #connection: CoordinatorConnection;
  readonly #runner: TaskRunner;
  readonly #guard: GuardRunner;
  readonly #handoffs: HandoffPlanner;
  readonly #peers: TabPeers | null;
  #handoffTimer: ReturnType<typeof setInterval> | undefined;
  #leaving = false;
  #closed = false;

  constructor(options: NetworkSessionOptions) {
    this.#options = options;
    const role = options.options.role;
    const connection = new CoordinatorConnection({
      origin: options.options.coordinatorOrigin,
      hello: () => {
        const { publicKey, identityProof } = options.identity;
        return { role, publicKey, capabilities: this.#capabilities(), ...(identityProof === undefined ? {} : { identityProof }) };
      },
      heartbeat: () => ({ activeTaskIds: this.#runner.activeTaskIds, models: this.#leaving ? [] : this.#offeredModels() }),
      onState: (state) => options.onConnectionState(state),
      onDisconnect: (reason) => {
        this.#runner.cancelAll();
        this.#guard.cancelAll();
        if (!options.consented()) return;
        // socket.io reconnects by itself unless the coordinator closed the socket (a refused hello, say).
        options.log(
          reason === 'io server disconnect'
            ? 'The coordinator closed the connection (see the reason above); this tab will not reconnect by itself.'
            : `Disconnected from the coordinator (${reason}); reconnecting.`,
        );
      },
    });
    const sinks = connectionSinks(connection);
    this.#connection = connection;
    const store = options.store ?? new MemoryModelFileStore();
    this.#peers = options.createPeerNetwork?.({ channel: sinks.peer, catalog: options.catalog, store, onEvent: options.log }) ?? null;
    this.#handoffs = new HandoffPlanner({ send: (handoff) => connection.send('task:handoff', handoff), offerAfterMs: HANDOFF_AFTER_MS });
    const shared = {
      engine: options.engine,
      identity: options.identity,
      nodeId: () => connection.nodeId,
      ensureModel: options.ensureModel,
    };
    this.#runner = new TaskRunner({
      ...shared,
      sink: sinks.task,
      maxConcurrentTasks: options.options.maxConcurrentTasks,
      // One run at a time on the engine; more assignments wait here, where a neighbour can take them.
      parallelRuns: 1,
      openDirectStream: (assign) => this.#openDirectStream(assign, sinks.task),
      onUpdate: (task) => this.#recordTask(task),
    });
    this.#guard = new GuardRunner({
      ...shared,
      sink: sinks.verify,
      maxConcurrentJobs: options.options.maxConcurrentTasks,
      onUpdate: options.onCheck,
    });
    this.#listen(connection);
  }

  /** This connection's node id; null until the coordinator welcomes it, and while reconnecting. */
  get nodeId(): NodeId | null {
    return this.#connection.nodeId;
  }

  /** Hand-offs offered and not answered yet. */
  get pendingHandoffs(): number {
    return this.#handoffs.pending;
  }

  start(): void {
    if (this.#peers !== null) void this.#seedWhatIsStored(this.#peers);
    // Neighbours' statuses change on their own schedule: look for idle ones now and then.
    this.#handoffTimer = setInterval(() => {
      this.#offerWaitingTasks();
      this.#refreshPeers();
    }, HANDOFF_AFTER_MS);
    this.#connection.connect();
  }

  /** Leaves: tasks and checks in flight stop (the coordinator requeues them when the socket closes). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#handoffTimer);
    this.#runner.cancelAll();
    this.#guard.cancelAll();
    this.#connection.close();
    void this.#peers?.close();
  }

  offerChanged(): void {
    this.#connection.sendHeartbeat();
  }

  /** Tells neighbours what this tab can take now; then offers waiting tasks to idle ones. */
  servingChanged(): void {
    const peers = this.#peers;
    if (peers === null) return;
    const { selected, status } = this.#options.offer();
    const servingModels =
      this.#options.options.role === 'worker' && !this.#leaving ? selected.filter((id) => status(id) === 'loaded').slice(0, 32) : [];
    const { maxConcurrentTasks } = this.#options.options;
    peers.setStatus({ activeTasks: this.#runner.activeTaskIds.length, maxConcurrentTasks, servingModels, leaving: this.#leaving });
    this.#offerWaitingTasks();
  }

  peers(): TabPeers | null {
    return this.#peers;
  }

  /** Sent now when welcomed; otherwise the welcome sends it with the others. */
  attest(attest: ModelAttest): void {
    if (this.#connection.nodeId !== null) this.#connection.send('model:attest', attest);
  }

  /** Resolves true once the coordinator welcomed this connection; false after `timeoutMs`, or at once when the session closed. */
  async welcomed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed && this.#connection.nodeId === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    return this.#connection.nodeId !== null;
  }

  /** Offers every held task (running or waiting) to neighbours and takes no new work; returns how many are on offer. */
  handOffEverything(): number {
    this.#leaving = true;
    // No new work: the coordinator stops placing tasks here, neighbours stop offering theirs.
    this.#connection.sendHeartbeat();
    this.servingChanged();
    const peers = this.#peers;
    if (peers === null) return 0;
    return this.#handoffs.offerAll(this.#runner.heldTasks, peers);
  }

  #listen(connection: CoordinatorConnection): void {
    const { log } = this.#options;
    connection.on('worker:welcome', (welcome) => {
      if (this.#peers !== null) this.#peers.iceServers = welcome.iceServers;
      this.#options.onWelcome(welcome.nodeId);
      // Each connection is a new session to the coordinator: it hears the files' hashes before it checks those models.
      for (const attest of this.#options.attestations()) this.#connection.send('model:attest', attest);
      log(`Joined the network as ${welcome.nodeId.slice(0, 8)} (${this.#options.options.role}).`);
    });
    connection.on('task:assign', (assign) => this.#onTask(assign));
    connection.on('task:cancel', (cancel) => {
      const handedOff = this.#handoffs.moved(cancel.taskId);
      if (handedOff) log(`Task ${cancel.taskId.slice(0, 8)} ${cancel.reason}.`);
      this.#runner.cancel(cancel.taskId, { handedOff });
    });
    connection.on('verify:assign', (assign) => this.#onVerify(assign));
    connection.on('verify:cancel', (cancel) => this.#guard.cancel(cancel.jobId));
    connection.on('peer:signal', (signal) => this.#peers?.handleSignal(signal));
    connection.on('peer:seeders', (seeders) => this.#peers?.handleSeeders(seeders));
    connection.on('protocol:error', (error) => {
      if (error.event === 'task:handoff') this.#handoffs.refused(error.error.message);
      log(`The coordinator refused ${error.event}: ${error.error.message}`);
    });
  }

  /** Workers run tasks; a guard is never sent one, and answers one it gets anyway with a retryable refusal. */
  #onTask(assign: TaskAssign): void {
    const role = this.#options.options.role;
    switch (role) {
      case 'worker':
        void this.#runner.assign(assign);
        return;
      case 'guard':
        this.#connection.send('task:error', {
          taskId: assign.taskId,
          code: 'no_capacity',
          message: 'This tab is a guard: it checks results and runs no tasks.',
          retryable: true,
        });
        this.#options.log(`Refused task ${assign.taskId.slice(0, 8)}: guards run no tasks.`);
        return;
      default:
        assertNever(role, 'role');
    }
  }

  /** Guards check claims; a worker answers a check it gets anyway with verify:error. */
  #onVerify(assign: VerifyAssign): void {
    const role = this.#options.options.role;
    switch (role) {
      case 'guard':
        void this.#guard.assign(assign);
        return;
      case 'worker': {
        const message = 'This tab is a worker, not a guard: it checks no results.';
        this.#connection.send('verify:error', { jobId: assign.jobId, code: 'invalid_request', message });
        this.#options.log(`Refused check ${assign.jobId.slice(0, 8)}: workers check no results.`);
        return;
      }
      default:
        assertNever(role, 'role');
    }
  }

  #openDirectStream(assign: TaskAssign, sink: TaskSink): DirectTextStream | null {
    const peers = this.#peers;
    if (assign.directStream === undefined || peers === null) return null;
    return createDirectStreamSender({
      taskId: assign.taskId,
      link: peers.linkTo(assign.directStream.to),
      sink,
      renewEveryMs: Math.max(100, Math.floor(assign.leaseMs / 3)),
      onFallback: (reason) => this.#options.log(`Direct stream of ${assign.taskId.slice(0, 8)} fell back to the coordinator: ${reason}.`),
    });
  }

  #recordTask(task: ServedTask): void {
    // The tab's load changes when a task arrives or ends, not with each token of a running one.
    if (task.status !== 'running') queueMicrotask(() => this.servingChanged());
    // The runner forgets a task just after reporting its end, so leave it out here already.
    const active = this.#runner.activeTaskIds.filter((id) => task.status === 'running' || id !== task.taskId).length;
    this.#options.onTask(task, active);
  }

  /**
   * What the coordinator may place here. A model still downloading is left out: the tab joins before its
   * loads end, and a known-answer check sent for it now could outlive its lease on a large model. Its
   * end-of-load heartbeat offers it. Files already in the store count as `cached` (a quick load).
   */
  #offeredModels(): OfferedModel[] {
    const { selected, status, backend } = this.#options.offer();
    const offered: OfferedModel[] = [];
    for (const id of selected) {
      const state = status(id);
      const stored = this.#peers?.isSeedable(id) === true;
      if (state === 'failed' || ((state === 'loading' || state === 'waiting') && !stored)) continue;
      offered.push({ id, state: state === 'loaded' ? 'loaded' : stored ? 'cached' : 'available', backend });
    }
    return offered;
  }

  #capabilities(): Capabilities {
    const { device } = this.#options.offer();
    const engines: EngineId[] = ['transformers'];
    // Guards score logits, which web-llm does not expose.
    if (this.#options.options.role === 'worker' && device?.gpu && !device.gpu.isFallbackAdapter) engines.push('web-llm');
    return {
      userAgent: this.#options.userAgent.slice(0, 512),
      hardwareConcurrency: device?.hardwareConcurrency ?? 1,
      gpu: device?.gpu ?? null,
      backends: device === null ? ['wasm'] : availableBackends(device),
      engines,
      models: this.#leaving ? [] : this.#offeredModels(),
      benchmarkTokensPerSecond: null,
      maxConcurrentTasks: this.#options.options.maxConcurrentTasks,
      ...(this.#options.embeddedIn === undefined ? {} : { embeddedIn: this.#options.embeddedIn }),
    };
  }

  /** A busy tab: tasks that waited here over HANDOFF_AFTER_MS go to a neighbour that said it is idle. */
  #offerWaitingTasks(): void {
    if (this.#peers === null || this.#leaving) return;
    this.#handoffs.offerWaiting(this.#runner.heldTasks, this.#peers);
  }

  #refreshPeers(): void {
    this.#options.onPeers(summarizePeers(this.#peers));
  }

  /** Models whose files are already in the store (an earlier visit) are seeded from the start. */
  async #seedWhatIsStored(peers: TabPeers): Promise<void> {
    const store = this.#options.store;
    if (store === null) return;
    for (const entry of this.#options.catalog) if (await hasAllFiles(store, entry).catch(() => false)) peers.markSeedable(entry.id);
  }
}
