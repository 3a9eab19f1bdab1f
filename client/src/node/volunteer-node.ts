import { TesseraError, findModel } from '@tessera/shared';
import type { Backend, EmbeddedIn, ModelCatalogEntry, NodeId } from '@tessera/shared';
import { toWireError } from '../engine/wire-error.ts';
import type { IdentityMode, LoadedIdentity, TabIdentity } from '../identity/tab-identity.ts';
import type { ModelFileStore } from '../model-files/model-file-store.ts';
import type { PeerNetworkOptions } from '../peer/peer-network.ts';
import type { TabPeers } from '../peer/tab-peers.ts';
import { catalogChoices } from './catalog-choices.ts';
import type { CatalogChoice } from './catalog-choices.ts';
import { CheckTally } from './check-tally.ts';
import type { VerdictTotals } from './check-tally.ts';
import type { ConnectionState } from './coordinator-connection.ts';
import { defaultBackend, modelFit } from './device-fit.ts';
import type { DeviceInfo } from './device-fit.ts';
import type { GuardCheck } from './guard-runner.ts';
import { ModelLoader } from './model-loader.ts';
import type { ConfigurableEngine } from './model-loader.ts';
import { NetworkSession } from './network-session.ts';
import { NO_PEERS } from './peer-summary.ts';
import type { PeerSummary } from './peer-summary.ts';
import { TaskTally } from './task-tally.ts';
import type { TaskTotals } from './task-tally.ts';
import type { ServedTask } from './task-runner.ts';
import { TypedEmitter } from './typed-emitter.ts';
import type { ModelLoadState, RuntimeEvent, RuntimeState, VolunteerNodeEvents } from './volunteer-node-events.ts';
import type { VolunteerOptions } from './volunteer-options.ts';

export interface VolunteerNodeInit {
  options: VolunteerOptions;
  /** Query parameters that were ignored, to show. */
  warnings: readonly string[];
  catalog: readonly ModelCatalogEntry[];
  pageOrigin: string;
  hubUrl: string;
  /** Sent in `worker:hello` (`navigator.userAgent` in pages). */
  userAgent: string;
  probeDevice: () => Promise<DeviceInfo>;
  /** The tab's signing key: IndexedDB-backed or ephemeral (`?identity=`); rejects without Ed25519. */
  loadIdentity: (mode: IdentityMode) => Promise<LoadedIdentity>;
  /** Starts the engine Web Worker; called once, on consent. */
  startEngine: () => ConfigurableEngine;
  /** Content-addressed model files (Cache Storage in pages); null: no peer seeding, the engine fetches itself. */
  modelFileStore: ModelFileStore | null;
  /** Creates the tab's peer layer (WebRTC); null where the browser has none. */
  createPeerNetwork: ((options: PeerNetworkOptions) => TabPeers | null) | null;
  /** Model files from the coordinator's mirror over HTTP. */
  fetch: (url: string) => Promise<Response>;
  /** Set by the widget's frame: the page it runs in and its site key (`worker:hello` capabilities). */
  embeddedIn?: EmbeddedIn;
}

/** How long leaving waits for the coordinator to move the tab's tasks before it disconnects. */
const LEAVE_GRACE_MS = 2_000;
const RECENT_EVENTS = 20;

/**
 * The tab's runtime as a volunteer node, in plain TypeScript: its identity, device and chosen models,
 * the engine and the models in it, and each stay on the network (a `NetworkSession`: coordinator link,
 * task and guard runners, peers, hand-offs). Pages drive it with `init`, `lend`, `stop`, `toggle`,
 * `setBackend` and `leaveNow`, read it through its getters, and follow it through its typed events.
 */
export class VolunteerNode {
  readonly options: VolunteerOptions;
  readonly catalog: readonly ModelCatalogEntry[];
  readonly #init: VolunteerNodeInit;
  readonly #events = new TypedEmitter<VolunteerNodeEvents>();
  readonly #loader: ModelLoader;
  readonly #tasks = new TaskTally();
  readonly #checks = new CheckTally();
  #warnings: readonly string[];
  #device: DeviceInfo | null = null;
  #backend: Backend = 'wasm';
  #selected: readonly string[] = [];
  #consented = false;
  #runtimeState: RuntimeState = 'idle';
  #connectionState: ConnectionState = 'disconnected';
  #nodeId: NodeId | null = null;
  #identity: TabIdentity | null = null;
  #identityError: string | null = null;
  #activeTasks = 0;
  #peers: PeerSummary = NO_PEERS;
  #log: readonly RuntimeEvent[] = [];
  #session: NetworkSession | null = null;
  #initialized = false;

  constructor(init: VolunteerNodeInit) {
    this.#init = init;
    this.options = init.options;
    this.catalog = init.catalog;
    this.#warnings = [...init.warnings];
    this.#loader = new ModelLoader({
      catalog: init.catalog,
      coordinatorOrigin: init.options.coordinatorOrigin,
      pageOrigin: init.pageOrigin,
      hubUrl: init.hubUrl,
      startEngine: init.startEngine,
      store: init.modelFileStore,
      fetch: init.fetch,
      network: () => this.#session,
      backend: () => this.#backend,
      onChange: (id) => this.#events.emit('model:changed', { id, load: this.#loader.states[id] ?? null }),
      log: (message) => this.#addLog(message),
    });
  }

  on<E extends keyof VolunteerNodeEvents>(event: E, listener: (payload: VolunteerNodeEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  get warnings(): readonly string[] {
    return this.#warnings;
  }
  get device(): DeviceInfo | null {
    return this.#device;
  }
  get backend(): Backend {
    return this.#backend;
  }
  get selected(): readonly string[] {
    return this.#selected;
  }
  get consented(): boolean {
    return this.#consented;
  }
  get runtimeState(): RuntimeState {
    return this.#runtimeState;
  }
  get connectionState(): ConnectionState {
    return this.#connectionState;
  }
  /** The node id of the last welcome while joined; kept while reconnecting, null once the tab left. */
  get nodeId(): NodeId | null {
    return this.#nodeId;
  }
  get publicKey(): string | null {
    return this.#identity?.publicKey ?? null;
  }
  get identityMode(): IdentityMode | null {
    return this.#identity?.mode ?? null;
  }
  /** Why this tab cannot join at all (a browser without Ed25519). */
  get identityError(): string | null {
    return this.#identityError;
  }
  get models(): Readonly<Record<string, ModelLoadState>> {
    return this.#loader.states;
  }
  /** Tasks served, newest first. */
  get tasks(): readonly ServedTask[] {
    return this.#tasks.recent;
  }
  get taskTotals(): TaskTotals {
    return this.#tasks.totals;
  }
  get activeTasks(): number {
    return this.#activeTasks;
  }
  /** Guards: the checks made, newest first. */
  get checks(): readonly GuardCheck[] {
    return this.#checks.recent;
  }
  get verdictTotals(): VerdictTotals {
    return this.#checks.totals;
  }
  get peers(): PeerSummary {
    return this.#peers;
  }
  /** The log, newest first. */
  get log(): readonly RuntimeEvent[] {
    return this.#log;
  }

  /** Every catalog model and whether this tab may offer it now. */
  choices(): CatalogChoice[] {
    return catalogChoices(this.catalog, this.options.role, this.#backend, this.#device);
  }

  isSelected(id: string): boolean {
    return this.#selected.includes(id);
  }

  /** Loads the tab's key, probes the device, applies the URL's choices, and starts at once with `?autostart=1`. */
  async init(): Promise<void> {
    if (this.#initialized) return;
    this.#initialized = true;
    const identityLoaded = this.#loadIdentity();
    const device = await this.#init.probeDevice();
    const requested = this.options.backend;
    this.#device = device;
    this.#backend = requested ?? defaultBackend(device);
    this.#events.emit('device:probed', { device, backend: this.#backend });
    if (requested === 'webgpu' && device.gpu === null) {
      this.#warn(`backend=webgpu was asked for, but ${device.gpuUnavailableReason ?? 'there is no adapter'}; loads will fail.`);
    }
    const selected: string[] = [];
    for (const id of this.options.models) {
      const entry = findModel(this.catalog, id);
      const fit = entry === undefined ? null : modelFit(entry, this.#backend, device);
      if (fit === null) this.#warn(`Unknown model ${id}: not in the catalog.`);
      else if (!fit.ok) this.#warn(`${id} cannot run here: ${fit.reason}.`);
      else selected.push(id);
    }
    this.#select(selected);
    if (!(await identityLoaded)) return;
    if (this.options.autostart) await this.lend();
  }

  /** Adds or removes a model; while serving, it is loaded or unloaded and the coordinator told. */
  toggle(id: string): void {
    if (this.isSelected(id)) {
      this.#select(this.#selected.filter((other) => other !== id));
      if (this.#loader.engine !== null) void this.#loader.unload(id);
      return;
    }
    const choice = this.choices().find((candidate) => candidate.entry.id === id);
    if (choice === undefined || !choice.fit.ok) return;
    this.#select([...this.#selected, id]);
    if (this.#runtimeState === 'serving') void this.#loader.load(id).catch(() => undefined);
  }

  setBackend(backend: Backend): void {
    if (this.#consented) return;
    this.#backend = backend;
    const fits = new Set(
      this.choices()
        .filter((choice) => choice.fit.ok)
        .map((choice) => choice.entry.id),
    );
    this.#select(this.#selected.filter((id) => fits.has(id)));
  }

  /** Consent given: join the coordinator, then load the chosen models; each is offered once it is in memory. */
  async lend(): Promise<void> {
    if (this.#consented || this.#identity === null) return;
    this.#setState('loading', true);
    let engine: ConfigurableEngine;
    try {
      engine = await this.#loader.ready();
    } catch (error) {
      this.#fail(`The engine worker did not start: ${toWireError(error, 'internal_error').message}`);
      return;
    }
    const ids = [...this.#selected];
    this.#loader.prepare(ids);
    // Joined first, so the loads can ask the network for seeders.
    this.#join(engine, this.#identity);
    for (const id of ids) await this.#loader.load(id).catch(() => undefined);
    if (!this.#consented) return;
    if (!ids.some((id) => this.#loader.states[id]?.status === 'loaded')) {
      this.#fail(ids.length === 0 ? 'No model is selected.' : 'No model could be loaded.');
      this.#leave();
      return;
    }
    this.#setState('serving', true);
  }

  /**
   * Leaves the network; loaded models stay in memory for the next start. Tasks this tab holds are first
   * handed to idle neighbours (the coordinator moves their leases); what no neighbour takes within
   * LEAVE_GRACE_MS goes back to the coordinator's queue when the socket closes. Nothing is lost either way.
   */
  async stop(): Promise<void> {
    if (!this.#consented) return;
    this.#setState(this.#runtimeState, false);
    const session = this.#session;
    const handedOff = session?.handOffEverything() ?? 0;
    if (handedOff > 0) {
      this.#addLog(`Handing ${handedOff} task(s) to peers before leaving.`);
      const deadline = Date.now() + LEAVE_GRACE_MS;
      while ((session?.pendingHandoffs ?? 0) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.#leave();
    this.#setState('idle', false);
    this.#addLog('Stopped lending this device.');
  }

  /**
   * The page is going away (tab closed, navigation): offer every task to a neighbour now, without waiting
   * for answers; the socket's close puts back whatever the coordinator did not move.
   */
  leaveNow(): void {
    if (!this.#consented) return;
    this.#session?.handOffEverything();
  }

  #join(engine: ConfigurableEngine, identity: TabIdentity): void {
    if (this.#session !== null) return;
    const session = new NetworkSession({
      options: this.options,
      catalog: this.catalog,
      engine,
      identity,
      userAgent: this.#init.userAgent,
      ...(this.#init.embeddedIn === undefined ? {} : { embeddedIn: this.#init.embeddedIn }),
      store: this.#init.modelFileStore,
      createPeerNetwork: this.#init.createPeerNetwork,
      offer: () => ({
        device: this.#device,
        backend: this.#backend,
        selected: this.#selected,
        status: (id) => this.#loader.states[id]?.status,
      }),
      ensureModel: (modelId) => this.#ensureModel(modelId),
      attestations: () => this.#loader.attestations.values(),
      consented: () => this.#consented,
      onConnectionState: (state) => {
        this.#connectionState = state;
        this.#events.emit('connection:changed', { state });
      },
      onWelcome: (nodeId) => {
        this.#nodeId = nodeId;
        this.#events.emit('network:joined', { nodeId });
      },
      onTask: (task, activeTasks) => {
        this.#tasks.record(task);
        this.#activeTasks = activeTasks;
        this.#events.emit('task:updated', { task });
        if (task.status === 'failed')
          this.#addLog(`Task ${task.taskId.slice(0, 8)} on ${task.model} failed: ${task.error ?? 'unknown error'}`);
      },
      onCheck: (check) => {
        this.#checks.record(check);
        this.#events.emit('check:updated', { check });
        if (check.status === 'invalid')
          this.#addLog(`Check ${check.jobId.slice(0, 8)} on ${check.model}: invalid (${check.reason ?? 'no reason'}).`);
        if (check.status === 'error')
          this.#addLog(`Check ${check.jobId.slice(0, 8)} on ${check.model} could not run: ${check.reason ?? 'unknown error'}`);
      },
      onPeers: (peers) => this.#setPeers(peers),
      log: (message) => this.#addLog(message),
    });
    this.#session = session;
    session.start();
  }

  #leave(): void {
    const session = this.#session;
    this.#session = null;
    session?.close();
    this.#nodeId = null;
    this.#events.emit('network:left', {});
    this.#setPeers(NO_PEERS);
  }

  #ensureModel(modelId: string): Promise<void> {
    if (this.#loader.states[modelId]?.status === 'loaded') return Promise.resolve();
    if (!this.#selected.includes(modelId))
      return Promise.reject(new TesseraError('model_load_failed', `This tab does not offer ${modelId}.`));
    return this.#loader.load(modelId);
  }

  /** Loads the signing key; false (and the page says why) when this browser cannot make one. */
  async #loadIdentity(): Promise<boolean> {
    try {
      const { identity, warning } = await this.#init.loadIdentity(this.options.identity);
      this.#identity = identity;
      this.#events.emit('identity:loaded', { publicKey: identity.publicKey, mode: identity.mode });
      if (warning !== null) this.#warn(warning);
      return true;
    } catch (error) {
      this.#identityError = error instanceof Error ? error.message : 'This tab could not make its signing key.';
      this.#events.emit('identity:failed', { message: this.#identityError });
      this.#fail(this.#identityError);
      return false;
    }
  }

  #select(selected: readonly string[]): void {
    this.#selected = selected;
    this.#events.emit('selection:changed', { selected, backend: this.#backend });
  }

  #setState(runtimeState: RuntimeState, consented: boolean): void {
    this.#runtimeState = runtimeState;
    this.#consented = consented;
    this.#events.emit('state:changed', { runtimeState, consented });
  }

  #setPeers(peers: PeerSummary): void {
    // Only on change: the session reports four times a second and the page should not re-render each time.
    if (JSON.stringify(peers) === JSON.stringify(this.#peers)) return;
    this.#peers = peers;
    this.#events.emit('peers:changed', { peers });
  }

  #warn(message: string): void {
    this.#warnings = [...this.#warnings, message];
    this.#events.emit('warning:added', { message });
  }

  #fail(message: string): void {
    this.#setState('error', this.#consented);
    this.#addLog(message);
  }

  #addLog(message: string): void {
    const line = { at: Date.now(), message };
    this.#log = [line, ...this.#log].slice(0, RECENT_EVENTS);
    this.#events.emit('log:added', line);
  }
}
