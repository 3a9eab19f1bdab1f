import { TINY_GPT2_ID } from '@tessera/shared';
import type { EmbeddedIn, ModelCatalogEntry, WidgetSettings } from '@tessera/shared';
import { OpenAIClient } from '../api/openai-client.ts';
import { identityProofBits } from '../identity/identity-proof.ts';
import { loadTabIdentity } from '../identity/identity-store.browser.ts';
import { CacheModelFileStore } from '../model-files/model-file-store.browser.ts';
import { MemoryModelFileStore } from '../model-files/model-file-store.ts';
import type { ModelFileStore } from '../model-files/model-file-store.ts';
import { fetchNetworkCatalog } from '../model-files/network-catalog.ts';
import { probeDevice } from '../node/device-probe.browser.ts';
import { startEngineWorker } from '../node/start-engine-worker.browser.ts';
import { DEFAULT_MODELS, type VolunteerOptions } from '../node/volunteer-options.ts';
import { VolunteerNode } from '../node/volunteer-node.ts';
import { createBrowserPeerNetwork } from '../peer/peer-network.browser.ts';
import { pacedEngine } from './paced-engine.ts';
import type { WidgetNode } from './widget-controller.ts';

/**
 * What a frame gets from its browser once the visitor agreed, loaded only then (this module and everything
 * it imports): the catalog, storage, the key, the engine worker. Until consent the frame has fetched nothing
 * but its own page, script and styles.
 */
export interface WidgetRuntimeInit {
  settings: WidgetSettings;
  coordinatorOrigin: string;
  embeddedIn: EmbeddedIn;
  /** IndexedDB database of this site's key, when the browser lets the frame keep one. */
  identityDatabase: string;
}

/** Whether this frame may use Cache Storage: a third-party frame whose browser blocks its storage may not. */
async function cacheStorageWorks(): Promise<boolean> {
  if (!CacheModelFileStore.available()) return false;
  try {
    await caches.open('tessera-probe');
    return true;
  } catch {
    return false;
  }
}

/**
 * The volunteer runtime of the volunteer page (`VolunteerNode`: Web Worker engine, signed results,
 * known-answer checks, peers), configured for a widget: the site's models, one task at a time, the engine
 * paced to `max-cpu`, the page it runs in told in `worker:hello`. Model files go to Cache Storage where the
 * frame may keep any, else to memory for this visit; the key to this site's IndexedDB database, else to
 * memory (`loadTabIdentity` falls back by itself).
 */
export async function createWidgetNode(init: WidgetRuntimeInit): Promise<WidgetNode> {
  const { settings, coordinatorOrigin } = init;
  const { catalog } = await fetchNetworkCatalog(coordinatorOrigin);
  const store: ModelFileStore = (await cacheStorageWorks()) ? new CacheModelFileStore() : new MemoryModelFileStore();
  const options: VolunteerOptions = {
    autostart: false,
    models: settings.models.length > 0 ? settings.models : [...DEFAULT_MODELS],
    backend: null,
    role: 'worker',
    coordinatorOrigin,
    maxConcurrentTasks: 1,
    identity: 'persistent',
    peers: settings.peers,
    hubUrl: null,
  };
  return new VolunteerNode({
    options,
    warnings: [],
    catalog: catalog.models,
    pageOrigin: location.origin,
    hubUrl: catalog.hubUrl,
    userAgent: navigator.userAgent,
    probeDevice,
    loadIdentity: (mode) => loadTabIdentity(mode, () => identityProofBits(coordinatorOrigin), init.identityDatabase),
    startEngine: () => pacedEngine(startEngineWorker(), settings.maxCpu),
    modelFileStore: store,
    createPeerNetwork: settings.peers && typeof RTCPeerConnection !== 'undefined' ? createBrowserPeerNetwork : null,
    fetch: (url) => fetch(url),
    embeddedIn: init.embeddedIn,
  });
}

/** The chat model: the `model` attribute, else the first chat model among `models`, else the catalog's first. */
export function chatModelOf(settings: WidgetSettings, catalog: readonly ModelCatalogEntry[]): string {
  if (settings.model !== null) return settings.model;
  const chatModels = catalog.filter((entry) => entry.task === 'text-generation').map((entry) => entry.id);
  return settings.models.find((id) => chatModels.includes(id)) ?? chatModels[0] ?? TINY_GPT2_ID;
}

/** Streams one answer from the network: greedy, so guards can check it exactly. */
export async function askNetwork(
  init: Pick<WidgetRuntimeInit, 'settings' | 'coordinatorOrigin'>,
  question: string,
  onDelta: (delta: string) => void,
): Promise<string> {
  const { catalog } = await fetchNetworkCatalog(init.coordinatorOrigin);
  const client = new OpenAIClient({ origin: init.coordinatorOrigin });
  const answer = await client.streamChat(
    { model: chatModelOf(init.settings, catalog.models), messages: [{ role: 'user', content: question }], temperature: 0, max_tokens: 128 },
    { onDelta },
  );
  return answer.text;
}
