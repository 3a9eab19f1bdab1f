import { TesseraError, assertNever, findModel } from '@tessera/shared';
import type { Backend, Capabilities, EngineId, EngineSettings, LoadProgress, ModelCatalogEntry, OfferedModel, TaskAssign, TaskId, VerifyAssign } from '@tessera/shared';
import { createDirectStreamSender } from '../peer/direct-stream-sender.ts';
import { HandoffPlanner } from '../peer/handoff-planner.ts';
import { acquireModelFiles, type ModelAcquireReport } from '../peer/model-acquirer.ts';
import { MemoryModelFileStore, hasAllFiles, type ModelFileStore } from '../model-files/model-file-store.ts';
import type { PeerNetwork, PeerNetworkOptions } from '../peer/peer-network.ts';
import { modelFileUrl, modelLocation } from '../engine/model-location.ts';
import type { IdentityMode, LoadedIdentity, TabIdentity } from '../identity/tab-identity.ts';
import { CoordinatorConnection } from '../node/coordinator-connection.ts';
import type { ConnectionState } from '../node/coordinator-connection.ts';
import { GuardRunner } from '../node/guard-runner.ts';
import type { GuardCheck } from '../node/guard-runner.ts';
import type { InferenceEngine } from '../engine/inference-engine.ts';
import { TaskRunner } from '../node/task-runner.ts';
import type { ServedTask } from '../node/task-runner.ts';
import { toWireError } from '../engine/wire-error.ts';
import { availableBackends, defaultBackend, modelFit } from '../node/device-fit.ts';
import type { DeviceInfo, ModelFit } from '../node/device-fit.ts';
import { NodeStanding } from './node-standing.svelte.ts';
import type { SnapshotSource } from './node-standing.svelte.ts';
import { roleFit } from '../node/role-fit.ts';
import type { VolunteerOptions } from '../node/volunteer-options.ts';

/** What the page shows as `data-testid="runtime-state"`. */
export type RuntimeState = 'idle' | 'loading' | 'serving' | 'error';

export type ModelLoadStatus = 'waiting' | 'loading' | 'loaded' | 'failed';

export interface ModelLoadState {
  id: string;
  status: ModelLoadStatus;
  progress: LoadProgress | null;
  error: string | null;
  loadMs: number | null;
  /** Where the files came from (mirrored models): the store, peers, the coordinator. */
  source: ModelAcquireReport | null;
}

export interface CatalogChoice {
  entry: ModelCatalogEntry;
  fit: ModelFit;
}

export interface RuntimeEvent {
  at: number;
  message: string;
}

/** The engine as the page needs it: the interface plus the one-time configuration of the worker. */
export interface ConfigurableEngine extends InferenceEngine {
  configure(settings: EngineSettings): Promise<void>;
}

export interface VolunteerDependencies {
  options: VolunteerOptions;
  /** Query parameters that were ignored, to show. */
  warnings: readonly string[];
  catalog: readonly ModelCatalogEntry[];
  pageOrigin: string;
  hubUrl: string;
  probeDevice: () => Promise<DeviceInfo>;
  /** The tab's signing key: IndexedDB-backed or ephemeral (`?identity=`); rejects without Ed25519. */
  loadIdentity: (mode: IdentityMode) => Promise<LoadedIdentity>;
  /** `GET /api/v1/network`, for this tab's reputation. */
  networkSnapshot: SnapshotSource;
  /** Starts the engine Web Worker; called once, on consent. */
  startEngine: () => ConfigurableEngine;
  /** Content-addressed model files (Cache Storage in pages); null: no peer seeding, the engine fetches itself. */
  modelFileStore: ModelFileStore | null;
  /** Creates the tab's peer layer (WebRTC); null where the browser has none. */
  createPeerNetwork: ((options: PeerNetworkOptions) => PeerNetwork | null) | null;
}

/** What the page shows about this tab's peers. */
export interface PeerSummary {
  /** False when peers are off (`?peers=0`) or the browser has no WebRTC. */
  enabled: boolean;
  neighbours: { nodeId: string; activeTasks: number | null; maxConcurrentTasks: number | null; servingModels: readonly string[]; leaving: boolean }[];
  /** Model bytes this tab sent to peers. */
  servedBytes: number;
}

const NO_PEERS: PeerSummary = { enabled: false, neighbours: [], servedBytes: 0 };

/** A task waiting in this tab longer than this is offered to an idle neighbour. */
const HANDOFF_AFTER_MS = 250;
/** How long leaving waits for the coordinator to move the tab's tasks before it disconnects. */
const LEAVE_GRACE_MS = 2_000;

const RECENT_TASKS = 50;
const RECENT_CHECKS = 50;
const RECENT_EVENTS = 20;

/**
 * The volunteer runtime as the page sees it: device, chosen models, consent, model loads, the
 * coordinator link and the tasks served. Components read its fields and call its methods; they make no
 * socket or engine calls themselves.
 */
export class VolunteerState {
  readonly options: VolunteerOptions;
  readonly warnings = $state<string[]>([]);
  readonly catalog: readonly ModelCatalogEntry[];

  device = $state.raw<DeviceInfo | null>(null);
  backend = $state<Backend>('wasm');
  selected = $state<string[]>([]);
  consented = $state(false);
  runtimeState = $state<RuntimeState>('idle');
  connectionState = $state<ConnectionState>('disconnected');
  nodeId = $state<string | null>(null);
  models = $state.raw<Record<string, ModelLoadState>>({});
  tasks = $state.raw<ServedTask[]>([]);
  events = $state.raw<RuntimeEvent[]>([]);
  totals = $state.raw({ served: 0, failed: 0, cancelled: 0, refused: 0, handedOff: 0, tokens: 0, embeddings: 0, busyMs: 0 });
  activeTasks = $state(0);
  /** Guards: the checks made, newest first, and their outcomes. */
  checks = $state.raw<GuardCheck[]>([]);
  verdictTotals = $state.raw({ valid: 0, invalid: 0, errors: 0, cancelled: 0, refused: 0 });
  /** This tab's public key (base64url) once its identity is loaded. */
  publicKey = $state<string | null>(null);
  identityMode = $state<IdentityMode | null>(null);
  /** Why this tab cannot join at all (a browser without Ed25519), shown instead of the consent button. */
  identityError = $state<string | null>(null);
  /** This tab's WebRTC neighbours and what it seeded, refreshed a few times a second while connected. */
  peers = $state.raw<PeerSummary>(NO_PEERS);
  /** How the coordinator rates this tab, polled while connected. */
  readonly standing: NodeStanding;

  readonly choices: CatalogChoice[] = $derived.by(() => {
    const device = this.device;
    return this.catalog.map((entry) => {
      const forRole = roleFit(entry, this.options.role);
      if (!forRole.ok) return { entry, fit: forRole };
      return { entry, fit: device === null ? { ok: false, reason: 'checking the device…' } : modelFit(entry, this.backend, device) };
    });
  });

  readonly backends: Backend[] = $derived(this.device === null ? ['wasm'] : availableBackends(this.device));

  /** Generated tokens per second of busy time over the tasks served so far. */
  readonly tokensPerSecond: number | null = $derived(this.totals.busyMs > 0 ? (this.totals.tokens * 1000) / this.totals.busyMs : null);

  readonly #deps: VolunteerDependencies;
  #engine: ConfigurableEngine | null = null;
  #engineReady: Promise<ConfigurableEngine> | null = null;
  #identity: TabIdentity | null = null;
  #connection: CoordinatorConnection | null = null;
  #runner: TaskRunner | null = null;
  #guard: GuardRunner | null = null;
  #peers: PeerNetwork | null = null;
  #handoffs: HandoffPlanner | null = null;
  #leaving = false;
  #handoffTimer: ReturnType<typeof setInterval> | undefined;
  readonly #loads = new Map<string, Promise<void>>();
  #initialized = false;

  constructor(deps: VolunteerDependencies) {
    this.#deps = deps;
    this.options = deps.options;
    this.catalog = deps.catalog;
    this.warnings.push(...deps.warnings);
    this.standing = new NodeStanding(deps.networkSnapshot);
  }

  /** Loads the tab's key, probes the device, applies the URL's choices, and starts at once with `?autostart=1`. */
  async init(): Promise<void> {
    if (this.#initialized) return;
    this.#initialized = true;
    const identityLoaded = this.#loadIdentity();
    const device = await this.#deps.probeDevice();
    this.device = device;
    const requested = this.options.backend;
    this.backend = requested ?? defaultBackend(device);
    if (requested === 'webgpu' && device.gpu === null) {
      this.warnings.push(`backend=webgpu was asked for, but ${device.gpuUnavailableReason ?? 'there is no adapter'}; loads will fail.`);
    }
    const selected: string[] = [];
    for (const id of this.options.models) {
      const entry = findModel(this.catalog, id);
      if (entry === undefined) {
        this.warnings.push(`Unknown model ${id}: not in the catalog.`);
        continue;
      }
      const fit = modelFit(entry, this.backend, device);
      if (!fit.ok) {
        this.warnings.push(`${id} cannot run here: ${fit.reason}.`);
        continue;
      }
      selected.push(id);
    }
    this.selected = selected;
    if (!(await identityLoaded)) return;
    if (this.options.autostart) await this.lend();
  }

  isSelected(id: string): boolean {
    return this.selected.includes(id);
  }

  /** Adds or removes a model; while serving, it is loaded or unloaded and the coordinator told. */
  toggle(id: string): void {
    if (this.isSelected(id)) {
      this.selected = this.selected.filter((other) => other !== id);
      if (this.#engine !== null) void this.#unload(id);
      return;
    }
    const choice = this.choices.find((candidate) => candidate.entry.id === id);
    if (choice === undefined || !choice.fit.ok) return;
    this.selected = [...this.selected, id];
    if (this.runtimeState === 'serving') void this.#load(id).catch(() => undefined);
  }

  setBackend(backend: Backend): void {
    if (this.consented) return;
    this.backend = backend;
    this.selected = this.selected.filter((id) => this.choices.find((choice) => choice.entry.id === id)?.fit.ok === true);
  }

  /** Consent given: load the chosen models in the engine worker, then join the coordinator. */
  async lend(): Promise<void> {
    if (this.consented || this.#identity === null) return;
    this.consented = true;
    this.runtimeState = 'loading';
    try {
      await this.#ready();
    } catch (error) {
      this.#fail(`The engine worker did not start: ${toWireError(error, 'internal_error').message}`);
      return;
    }
    const ids = [...this.selected];
    const fresh = (id: string): ModelLoadState => ({ id, status: 'waiting', progress: null, error: null, loadMs: null, source: null });
    this.models = Object.fromEntries(
      ids.map((id) => {
        const current = this.models[id];
        return [id, current?.status === 'loaded' ? current : fresh(id)];
      }),
    );
    // Joined first, offering the models as `available`, so the loads can ask the network for seeders.
    this.#connect();
    for (const id of ids) await this.#load(id).catch(() => undefined);
    if (!this.consented) return;
    if (!ids.some((id) => this.models[id]?.status === 'loaded')) {
      this.#fail(ids.length === 0 ? 'No model is selected.' : 'No model could be loaded.');
      this.#disconnect();
      return;
    }
    this.runtimeState = 'serving';
  }

  /**
   * Leaves the network; loaded models stay in memory for the next start. Tasks this tab holds are first
   * handed to idle neighbours (the coordinator moves their leases); what no neighbour takes within
   * LEAVE_GRACE_MS goes back to the coordinator's queue when the socket closes. Nothing is lost either way.
   */
  async stop(): Promise<void> {
    if (!this.consented) return;
    this.consented = false;
    const handedOff = this.#handOffEverything();
    if (handedOff > 0) {
      this.#log(`Handing ${handedOff} task(s) to peers before leaving.`);
      const deadline = Date.now() + LEAVE_GRACE_MS;
      while ((this.#handoffs?.pending ?? 0) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.#disconnect();
    this.runtimeState = 'idle';
    this.#log('Stopped lending this device.');
  }

  /**
   * The page is going away (tab closed, navigation): offer every task to a neighbour now, without waiting
   * for answers; the socket's close puts back whatever the coordinator did not move.
   */
  leaveNow(): void {
    if (!this.consented) return;
    this.#handOffEverything();
  }

  #disconnect(): void {
    clearInterval(this.#handoffTimer);
    this.#runner?.cancelAll();
    this.#guard?.cancelAll();
    this.#connection?.close();
    this.#connection = null;
    void this.#peers?.close();
    this.#peers = null;
    this.#leaving = false;
    this.#handoffs = null;
    this.nodeId = null;
    this.peers = NO_PEERS;
    this.standing.stop();
  }

  /** Loads the signing key; false (and the page says why) when this browser cannot make one. */
  async #loadIdentity(): Promise<boolean> {
    try {
      const { identity, warning } = await this.#deps.loadIdentity(this.options.identity);
      this.#identity = identity;
      this.publicKey = identity.publicKey;
      this.identityMode = identity.mode;
      if (warning !== null) this.warnings.push(warning);
      return true;
    } catch (error) {
      this.identityError = error instanceof Error ? error.message : 'This tab could not make its signing key.';
      this.#fail(this.identityError);
      return false;
    }
  }

  /** The engine worker, started and configured once; a failed start is retried on the next call. */
  #ready(): Promise<ConfigurableEngine> {
    if (this.#engineReady !== null) return this.#engineReady;
    const ready = (async () => {
      const engine = this.#deps.startEngine();
      await engine.configure({
        coordinatorOrigin: this.options.coordinatorOrigin,
        hubUrl: this.#deps.hubUrl,
        // The ORT runtime ships with the pages (dist/ort/), which may come from another origin than the API.
        ortBaseUrl: new URL('/ort/', this.#deps.pageOrigin).href,
        cacheModels: true,
      });
      this.#engine = engine;
      return engine;
    })();
    ready.catch(() => {
      this.#engineReady = null;
    });
    this.#engineReady = ready;
    return ready;
  }

  #load(id: string): Promise<void> {
    const inFlight = this.#loads.get(id);
    if (inFlight !== undefined) return inFlight;
    if (this.models[id]?.status === 'loaded') return Promise.resolve();
    const entry = findModel(this.catalog, id);
    if (entry === undefined) return Promise.reject(new TesseraError('model_load_failed', `${id} is not in the catalog.`));
    const load = (async () => {
      const engine = await this.#ready();
      this.#setModel(id, { status: 'loading', progress: null, error: null, loadMs: null, source: null });
      this.#connection?.sendHeartbeat();
      try {
        await this.#acquireFiles(entry);
        const loaded = await engine.load({
          model: entry,
          backend: this.backend,
          onProgress: (progress) => this.#setModel(id, { progress }),
        });
        this.#setModel(id, { status: 'loaded', loadMs: loaded.loadMs });
        this.#log(`Loaded ${id} on ${loaded.backend} in ${(loaded.loadMs / 1000).toFixed(1)} s.`);
        this.#publishStatus();
      } catch (error) {
        const wire = toWireError(error, 'model_load_failed');
        this.#setModel(id, { status: 'failed', error: wire.message });
        this.#log(`Could not load ${id}: ${wire.message}`);
        throw error;
      } finally {
        this.#loads.delete(id);
        this.#connection?.sendHeartbeat();
      }
    })();
    this.#loads.set(id, load);
    return load;
  }

  /**
   * Puts a mirrored model's files in the store before the engine loads it: from peers the coordinator
   * introduces (sha256-checked), else from the coordinator over HTTP. Then this tab seeds the model.
   * Hub models (no file list in the catalog) are left to the engine.
   */
  async #acquireFiles(entry: ModelCatalogEntry): Promise<void> {
    const store = this.#deps.modelFileStore;
    if (store === null || entry.files.length === 0) return;
    const location = modelLocation(entry, { coordinatorOrigin: this.options.coordinatorOrigin, hubUrl: this.#deps.hubUrl });
    const report = await acquireModelFiles({
      entry,
      store,
      findSeeders: async () => {
        const peers = this.#peers;
        if (peers === null || !(await this.#welcomed(3_000))) return [];
        return peers.findSeeders(entry.id);
      },
      httpFetch: async (_modelId, path) => {
        const response = await fetch(modelFileUrl(location, path));
        if (!response.ok) throw new TesseraError('model_load_failed', `${path} answered HTTP ${response.status}.`);
        return new Uint8Array(await response.arrayBuffer());
      },
      onBadSeeder: (nodeId, reason) => this.#peers?.reportBadSeeder(nodeId, entry.id, reason),
      onProgress: (loadedBytes, totalBytes, detail) => {
        this.#setModel(entry.id, { progress: { modelId: entry.id, loadedBytes, totalBytes, fraction: totalBytes > 0 ? Math.min(0.99, loadedBytes / totalBytes) : 0, detail } });
      },
    });
    this.#setModel(entry.id, { source: report });
    this.#peers?.markSeedable(entry.id);
    const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;
    this.#log(
      `Files of ${entry.id}: ${kib(report.fromPeers)} from ${report.seeders} peer(s), ${kib(report.fromHttp)} from the coordinator, ${kib(report.fromStore)} already here` +
        (report.badSeeders.length > 0 ? `; ${report.badSeeders.length} seeder(s) sent bad bytes and were reported.` : '.'),
    );
  }

  /** Resolves true once the coordinator welcomed this connection, false after `timeoutMs`. */
  async #welcomed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#connection?.nodeId === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    return (this.#connection?.nodeId ?? null) !== null;
  }

  async #unload(id: string): Promise<void> {
    const rest = { ...this.models };
    delete rest[id];
    this.models = rest;
    this.#connection?.sendHeartbeat();
    try {
      await this.#engine?.unload(id);
    } catch (error) {
      this.#log(`Could not unload ${id}: ${toWireError(error, 'internal_error').message}`);
    }
  }

  #connect(): void {
    const engine = this.#engine;
    const identity = this.#identity;
    if (engine === null || identity === null || this.#connection !== null) return;
    const role = this.options.role;
    const connection = new CoordinatorConnection({
      origin: this.options.coordinatorOrigin,
      hello: () => ({ role, publicKey: identity.publicKey, capabilities: this.#capabilities() }),
      heartbeat: () => ({ activeTaskIds: this.#activeTaskIds(), models: this.#leaving ? [] : this.#offeredModels() }),
      onState: (state) => {
        this.connectionState = state;
      },
      onWelcome: (welcome) => {
        if (this.#peers !== null) this.#peers.iceServers = welcome.iceServers;
        this.nodeId = welcome.nodeId;
        this.standing.follow(welcome.nodeId);
        this.#log(`Joined the network as ${welcome.nodeId.slice(0, 8)} (${role}).`);
      },
      onAssign: (assign) => this.#onTask(assign),
      onCancel: (cancel) => {
        const handedOff = this.#handoffs?.moved(cancel.taskId) ?? false;
        if (handedOff) this.#log(`Task ${cancel.taskId.slice(0, 8)} ${cancel.reason}.`);
        runner.cancel(cancel.taskId, { handedOff });
      },
      onPeerSignal: (signal) => this.#peers?.handleSignal(signal),
      onPeerSeeders: (seeders) => this.#peers?.handleSeeders(seeders),
      onVerifyAssign: (assign) => this.#onVerify(assign),
      onVerifyCancel: (cancel) => guard.cancel(cancel.jobId),
      onDisconnect: (reason) => {
        runner.cancelAll();
        guard.cancelAll();
        if (this.consented) this.#log(`Disconnected from the coordinator (${reason}); reconnecting.`);
      },
      onProtocolError: (error) => {
        if (error.event === 'task:handoff') this.#handoffs?.refused(error.error.message);
        this.#log(`The coordinator refused ${error.event}: ${error.error.message}`);
      },
    });
    this.#peers =
      this.#deps.createPeerNetwork?.({
        channel: connection,
        catalog: this.catalog,
        store: this.#deps.modelFileStore ?? new MemoryModelFileStore(),
        onEvent: (message) => this.#log(message),
      }) ?? null;
    if (this.#peers !== null) void this.#seedWhatIsStored(this.#peers);
    // Neighbours' statuses change on their own schedule: look for idle ones now and then.
    this.#handoffTimer = setInterval(() => {
      this.#offerWaitingTasks();
      this.#refreshPeers();
    }, HANDOFF_AFTER_MS);
    const shared = {
      engine,
      identity,
      nodeId: () => connection.nodeId,
      ensureModel: (modelId: string) => this.#ensureModel(modelId),
    };
    this.#handoffs = new HandoffPlanner({ send: (handoff) => connection.handoff(handoff), offerAfterMs: HANDOFF_AFTER_MS });
    const runner = new TaskRunner({
      ...shared,
      sink: connection,
      maxConcurrentTasks: this.options.maxConcurrentTasks,
      // One run at a time on the engine; more assignments wait here, where a neighbour can take them.
      parallelRuns: 1,
      openDirectStream: (assign) => {
        const peers = this.#peers;
        if (assign.directStream === undefined || peers === null) return null;
        const to = assign.directStream.to;
        return createDirectStreamSender({
          taskId: assign.taskId,
          link: peers.linkTo(to),
          sink: connection,
          renewEveryMs: Math.max(100, Math.floor(assign.leaseMs / 3)),
          onFallback: (reason) => this.#log(`Direct stream of ${assign.taskId.slice(0, 8)} fell back to the coordinator: ${reason}.`),
        });
      },
      onUpdate: (task) => this.#record(task),
    });
    const guard = new GuardRunner({
      ...shared,
      sink: connection,
      maxConcurrentJobs: this.options.maxConcurrentTasks,
      onUpdate: (check) => this.#recordCheck(check),
    });
    this.#connection = connection;
    this.#runner = runner;
    this.#guard = guard;
    connection.connect();
  }

  /** Workers run tasks; a guard is never sent one, and answers one it gets anyway with a retryable refusal. */
  #onTask(assign: TaskAssign): void {
    const role = this.options.role;
    switch (role) {
      case 'worker':
        void this.#runner?.assign(assign);
        return;
      case 'guard':
        this.#connection?.error({ taskId: assign.taskId, code: 'no_capacity', message: 'This tab is a guard: it checks results and runs no tasks.', retryable: true });
        this.#log(`Refused task ${assign.taskId.slice(0, 8)}: guards run no tasks.`);
        return;
      default:
        assertNever(role, 'role');
    }
  }

  /** Guards check claims; a worker answers a check it gets anyway with verify:error. */
  #onVerify(assign: VerifyAssign): void {
    const role = this.options.role;
    switch (role) {
      case 'guard':
        void this.#guard?.assign(assign);
        return;
      case 'worker':
        this.#connection?.verifyError({ jobId: assign.jobId, code: 'invalid_request', message: 'This tab is a worker, not a guard: it checks no results.' });
        this.#log(`Refused check ${assign.jobId.slice(0, 8)}: workers check no results.`);
        return;
      default:
        assertNever(role, 'role');
    }
  }

  #ensureModel(modelId: string): Promise<void> {
    if (this.models[modelId]?.status === 'loaded') return Promise.resolve();
    if (!this.selected.includes(modelId)) return Promise.reject(new TesseraError('model_load_failed', `This tab does not offer ${modelId}.`));
    return this.#load(modelId);
  }

  /**
   * What the coordinator may place here. A model still downloading is left out: the tab joins before its
   * loads end, and a known-answer check sent for it now could outlive its lease on a large model. Its
   * end-of-load heartbeat offers it. Files already in the store count as `cached` (a quick load).
   */
  #offeredModels(): OfferedModel[] {
    const offered: OfferedModel[] = [];
    for (const id of this.selected) {
      const status = this.models[id]?.status;
      const stored = this.#peers?.isSeedable(id) === true;
      if (status === 'failed' || ((status === 'loading' || status === 'waiting') && !stored)) continue;
      offered.push({ id, state: status === 'loaded' ? 'loaded' : stored ? 'cached' : 'available', backend: this.backend });
    }
    return offered;
  }

  #refreshPeers(): void {
    const peers = this.#peers;
    const next: PeerSummary =
      peers === null
        ? NO_PEERS
        : {
            enabled: true,
            servedBytes: peers.servedBytes,
            neighbours: peers.neighbours
              .filter((neighbour) => neighbour.link.state === 'open')
              .map((neighbour) => ({
                nodeId: neighbour.nodeId,
                activeTasks: neighbour.status?.activeTasks ?? null,
                maxConcurrentTasks: neighbour.status?.maxConcurrentTasks ?? null,
                servingModels: neighbour.status?.servingModels ?? [],
                leaving: neighbour.status?.leaving ?? false,
              })),
          };
    // Assigned only on change: the timer runs four times a second and the panel should not re-render each time.
    if (JSON.stringify(next) !== JSON.stringify(this.peers)) this.peers = next;
  }

  /** Models whose files are already in the store (an earlier visit) are seeded from the start. */
  async #seedWhatIsStored(peers: PeerNetwork): Promise<void> {
    const store = this.#deps.modelFileStore;
    if (store === null) return;
    for (const entry of this.catalog) if (await hasAllFiles(store, entry).catch(() => false)) peers.markSeedable(entry.id);
  }

  /** Tells neighbours what this tab can take now; then offers waiting tasks to idle ones. */
  #publishStatus(): void {
    const peers = this.#peers;
    if (peers === null) return;
    const servingModels = this.options.role === 'worker' && !this.#leaving ? this.selected.filter((id) => this.models[id]?.status === 'loaded').slice(0, 32) : [];
    peers.setStatus({ activeTasks: this.#runner?.activeTaskIds.length ?? 0, maxConcurrentTasks: this.options.maxConcurrentTasks, servingModels, leaving: this.#leaving });
    this.#offerWaitingTasks();
  }

  /** A busy tab: tasks that waited here over HANDOFF_AFTER_MS go to a neighbour that said it is idle. */
  #offerWaitingTasks(): void {
    const runner = this.#runner;
    const peers = this.#peers;
    if (runner === null || peers === null || this.#leaving) return;
    this.#handoffs?.offerWaiting(runner.heldTasks, peers);
  }

  /** Offers every held task (running or waiting) to neighbours; returns how many are on offer. */
  #handOffEverything(): number {
    this.#leaving = true;
    // No new work: the coordinator stops placing tasks here, neighbours stop offering theirs.
    this.#connection?.sendHeartbeat();
    this.#publishStatus();
    const peers = this.#peers;
    if (peers === null) return 0;
    return this.#handoffs?.offerAll(this.#runner?.heldTasks ?? [], peers) ?? 0;
  }

  #activeTaskIds(): TaskId[] {
    return this.#runner?.activeTaskIds ?? [];
  }

  #capabilities(): Capabilities {
    const device = this.device;
    const engines: EngineId[] = ['transformers'];
    // Guards score logits, which web-llm does not expose.
    if (this.options.role === 'worker' && device?.gpu && !device.gpu.isFallbackAdapter) engines.push('web-llm');
    return {
      userAgent: navigator.userAgent.slice(0, 512),
      hardwareConcurrency: device?.hardwareConcurrency ?? 1,
      gpu: device?.gpu ?? null,
      backends: this.backends,
      engines,
      models: this.#leaving ? [] : this.#offeredModels(),
      benchmarkTokensPerSecond: null,
      maxConcurrentTasks: this.options.maxConcurrentTasks,
    };
  }

  #record(task: ServedTask): void {
    // The tab's load changes when a task arrives or ends, not with each token of a running one.
    if (task.status !== 'running') queueMicrotask(() => this.#publishStatus());
    const others = this.tasks.filter((other) => other.taskId !== task.taskId);
    this.tasks = [task, ...others].slice(0, RECENT_TASKS);
    // The runner forgets a task just after reporting its end, so leave it out here already.
    const active = this.#runner?.activeTaskIds ?? [];
    this.activeTasks = active.filter((id) => task.status === 'running' || id !== task.taskId).length;
    const totals = { ...this.totals };
    switch (task.status) {
      case 'queued':
      case 'running':
        // Counted once it ends.
        return;
      case 'handed-off':
        totals.handedOff++;
        break;
      case 'succeeded':
        totals.served++;
        if (task.kind === 'chat') {
          totals.tokens += task.units;
          totals.busyMs += task.totalMs ?? 0;
        } else {
          totals.embeddings += task.units;
        }
        break;
      case 'failed':
        totals.failed++;
        this.#log(`Task ${task.taskId.slice(0, 8)} on ${task.model} failed: ${task.error ?? 'unknown error'}`);
        break;
      case 'cancelled':
        totals.cancelled++;
        break;
      case 'refused':
        totals.refused++;
        break;
    }
    this.totals = totals;
  }

  #recordCheck(check: GuardCheck): void {
    const others = this.checks.filter((other) => other.jobId !== check.jobId);
    this.checks = [check, ...others].slice(0, RECENT_CHECKS);
    const totals = { ...this.verdictTotals };
    switch (check.status) {
      case 'running':
        // Counted once it ends.
        return;
      case 'valid':
        totals.valid++;
        break;
      case 'invalid':
        totals.invalid++;
        this.#log(`Check ${check.jobId.slice(0, 8)} on ${check.model}: invalid (${check.reason ?? 'no reason'}).`);
        break;
      case 'error':
        totals.errors++;
        this.#log(`Check ${check.jobId.slice(0, 8)} on ${check.model} could not run: ${check.reason ?? 'unknown error'}`);
        break;
      case 'cancelled':
        totals.cancelled++;
        break;
      case 'refused':
        totals.refused++;
        break;
      default:
        assertNever(check.status, 'check status');
    }
    this.verdictTotals = totals;
  }

  #setModel(id: string, patch: Partial<ModelLoadState>): void {
    const current = this.models[id] ?? { id, status: 'waiting', progress: null, error: null, loadMs: null, source: null };
    this.models = { ...this.models, [id]: { ...current, ...patch } };
  }

  #fail(message: string): void {
    this.runtimeState = 'error';
    this.#log(message);
  }

  #log(message: string): void {
    this.events = [{ at: Date.now(), message }, ...this.events].slice(0, RECENT_EVENTS);
  }
}
