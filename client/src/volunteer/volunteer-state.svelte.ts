import type { Backend, ModelCatalogEntry } from '@tessera/shared';
import type { IdentityMode } from '../identity/tab-identity.ts';
import { catalogChoices } from '../node/catalog-choices.ts';
import type { CatalogChoice } from '../node/catalog-choices.ts';
import type { VerdictTotals } from '../node/check-tally.ts';
import type { ConnectionState } from '../node/coordinator-connection.ts';
import { availableBackends } from '../node/device-fit.ts';
import type { DeviceInfo } from '../node/device-fit.ts';
import type { GuardCheck } from '../node/guard-runner.ts';
import type { PeerSummary } from '../node/peer-summary.ts';
import type { TaskTotals } from '../node/task-tally.ts';
import type { ServedTask } from '../node/task-runner.ts';
import type { ModelLoadState, RuntimeEvent, RuntimeState } from '../node/volunteer-node-events.ts';
import type { VolunteerNode } from '../node/volunteer-node.ts';
import type { VolunteerOptions } from '../node/volunteer-options.ts';
import type { NodeStanding } from './node-standing.svelte.ts';

/**
 * The volunteer page's view of its `VolunteerNode`: every field is a rune the node's events keep up to
 * date, so components read fields and call methods, and make no socket, peer or engine calls themselves.
 */
export class VolunteerState {
  readonly options: VolunteerOptions;
  readonly catalog: readonly ModelCatalogEntry[];
  /** How the coordinator rates this tab, polled while it is joined. */
  readonly standing: NodeStanding;

  warnings = $state.raw<readonly string[]>([]);
  device = $state.raw<DeviceInfo | null>(null);
  backend = $state<Backend>('wasm');
  selected = $state.raw<readonly string[]>([]);
  consented = $state(false);
  runtimeState = $state<RuntimeState>('idle');
  connectionState = $state<ConnectionState>('disconnected');
  nodeId = $state<string | null>(null);
  models = $state.raw<Readonly<Record<string, ModelLoadState>>>({});
  tasks = $state.raw<readonly ServedTask[]>([]);
  events = $state.raw<readonly RuntimeEvent[]>([]);
  totals = $state.raw<TaskTotals>({ served: 0, failed: 0, cancelled: 0, refused: 0, handedOff: 0, tokens: 0, embeddings: 0, busyMs: 0 });
  activeTasks = $state(0);
  /** Guards: the checks made, newest first, and their outcomes. */
  checks = $state.raw<readonly GuardCheck[]>([]);
  verdictTotals = $state.raw<VerdictTotals>({ valid: 0, invalid: 0, errors: 0, cancelled: 0, refused: 0 });
  /** This tab's public key (base64url) once its identity is loaded. */
  publicKey = $state<string | null>(null);
  identityMode = $state<IdentityMode | null>(null);
  /** Why this tab cannot join at all (a browser without Ed25519), shown instead of the consent button. */
  identityError = $state<string | null>(null);
  /** This tab's WebRTC neighbours and what it seeded. */
  peers = $state.raw<PeerSummary>({ enabled: false, neighbours: [], servedBytes: 0 });

  readonly choices: CatalogChoice[] = $derived.by(() => catalogChoices(this.catalog, this.options.role, this.backend, this.device));
  readonly backends: Backend[] = $derived(this.device === null ? ['wasm'] : availableBackends(this.device));
  /** Generated tokens per second of busy time over the tasks served so far. */
  readonly tokensPerSecond: number | null = $derived(this.totals.busyMs > 0 ? (this.totals.tokens * 1000) / this.totals.busyMs : null);

  readonly #node: VolunteerNode;

  constructor(node: VolunteerNode, standing: NodeStanding) {
    this.#node = node;
    this.options = node.options;
    this.catalog = node.catalog;
    this.standing = standing;
    this.#copy();
    node.on('warning:added', () => (this.warnings = node.warnings));
    node.on('device:probed', ({ device, backend }) => {
      this.device = device;
      this.backend = backend;
    });
    node.on('selection:changed', ({ selected, backend }) => {
      this.selected = selected;
      this.backend = backend;
    });
    node.on('identity:loaded', ({ publicKey, mode }) => {
      this.publicKey = publicKey;
      this.identityMode = mode;
    });
    node.on('identity:failed', ({ message }) => (this.identityError = message));
    node.on('state:changed', ({ runtimeState, consented }) => {
      this.runtimeState = runtimeState;
      this.consented = consented;
    });
    node.on('connection:changed', ({ state }) => (this.connectionState = state));
    node.on('network:joined', ({ nodeId }) => {
      this.nodeId = nodeId;
      standing.follow(nodeId);
    });
    node.on('network:left', () => {
      this.nodeId = null;
      standing.stop();
    });
    node.on('model:changed', () => (this.models = node.models));
    node.on('task:updated', () => {
      this.tasks = node.tasks;
      this.totals = node.taskTotals;
      this.activeTasks = node.activeTasks;
    });
    node.on('check:updated', () => {
      this.checks = node.checks;
      this.verdictTotals = node.verdictTotals;
    });
    node.on('peers:changed', ({ peers }) => (this.peers = peers));
    node.on('log:added', () => (this.events = node.log));
  }

  /** Loads the tab's key, probes the device, applies the URL's choices, and starts at once with `?autostart=1`. */
  init(): Promise<void> {
    return this.#node.init();
  }

  isSelected(id: string): boolean {
    return this.selected.includes(id);
  }

  /** Adds or removes a model; while serving, it is loaded or unloaded and the coordinator told. */
  toggle(id: string): void {
    this.#node.toggle(id);
  }

  setBackend(backend: Backend): void {
    this.#node.setBackend(backend);
  }

  /** Consent given: join the coordinator and load the chosen models. */
  lend(): Promise<void> {
    return this.#node.lend();
  }

  /** Leaves the network, first handing held tasks to idle neighbours. */
  stop(): Promise<void> {
    return this.#node.stop();
  }

  /** Everything the node knows now, for a state made after the node started (a page visited later). */
  #copy(): void {
    const node = this.#node;
    this.warnings = node.warnings;
    this.device = node.device;
    this.backend = node.backend;
    this.selected = node.selected;
    this.consented = node.consented;
    this.runtimeState = node.runtimeState;
    this.connectionState = node.connectionState;
    this.nodeId = node.nodeId;
    this.models = node.models;
    this.tasks = node.tasks;
    this.events = node.log;
    this.totals = node.taskTotals;
    this.activeTasks = node.activeTasks;
    this.checks = node.checks;
    this.verdictTotals = node.verdictTotals;
    this.publicKey = node.publicKey;
    this.identityMode = node.identityMode;
    this.identityError = node.identityError;
    this.peers = node.peers;
  }
}
