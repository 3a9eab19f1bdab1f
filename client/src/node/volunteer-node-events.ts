import type { Backend, LoadProgress, NodeId } from '@tessera/shared';
import type { IdentityMode } from '../identity/tab-identity.ts';
import type { ModelAcquireReport } from '../peer/model-acquirer.ts';
import type { ConnectionState } from './coordinator-connection.ts';
import type { DeviceInfo } from './device-fit.ts';
import type { GuardCheck } from './guard-runner.ts';
import type { PeerSummary } from './peer-summary.ts';
import type { ServedTask } from './task-runner.ts';

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

/** One line of the page's log. */
export interface RuntimeEvent {
  at: number;
  message: string;
}

/**
 * What a `VolunteerNode` tells its listeners, named `noun:verb`. Each payload is the part that changed;
 * the node's getters give the whole picture at any time.
 */
export interface VolunteerNodeEvents {
  /** A query parameter or a device limit the page should mention. */
  'warning:added': { message: string };
  'device:probed': { device: DeviceInfo; backend: Backend };
  /** The models to offer, or the backend they run on, changed. */
  'selection:changed': { selected: readonly string[]; backend: Backend };
  'identity:loaded': { publicKey: string; mode: IdentityMode };
  /** This browser cannot make the tab's key: the tab cannot join. */
  'identity:failed': { message: string };
  'state:changed': { runtimeState: RuntimeState; consented: boolean };
  'connection:changed': { state: ConnectionState };
  /** The coordinator welcomed this tab (again, after a reconnect, with a new node id). */
  'network:joined': { nodeId: NodeId };
  /** The tab stopped lending (or failed to): no node id until it joins again. */
  'network:left': Record<string, never>;
  /** A model's load state changed; null: it is no longer offered. */
  'model:changed': { id: string; load: ModelLoadState | null };
  'task:updated': { task: ServedTask };
  'check:updated': { check: GuardCheck };
  'peers:changed': { peers: PeerSummary };
  'log:added': RuntimeEvent;
}
