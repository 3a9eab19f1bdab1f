import { networkSnapshotSchema } from '@tessera/shared';
import type { NetworkNode, NetworkSnapshot } from '@tessera/shared';

export async function networkSnapshot(coordinatorUrl: string): Promise<NetworkSnapshot> {
  const response = await fetch(`${coordinatorUrl}/api/v1/network`);
  return networkSnapshotSchema.parse(await response.json());
}

/** Waits until `count` worker tabs are connected with every listed model loaded. */
export async function waitForServingTabs(
  coordinatorUrl: string,
  count: number,
  models: readonly string[],
  timeoutMs = 120_000,
  describe?: () => string,
): Promise<NetworkNode[]> {
  return waitForTabs(coordinatorUrl, 'worker', count, models, timeoutMs, describe);
}

/** Waits until `count` guard tabs are connected with every listed model loaded. */
export async function waitForGuards(
  coordinatorUrl: string,
  count: number,
  models: readonly string[],
  timeoutMs = 120_000,
  describe?: () => string,
): Promise<NetworkNode[]> {
  return waitForTabs(coordinatorUrl, 'guard', count, models, timeoutMs, describe);
}

async function waitForTabs(
  coordinatorUrl: string,
  role: NetworkNode['role'],
  count: number,
  models: readonly string[],
  timeoutMs: number,
  describe?: () => string,
): Promise<NetworkNode[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await networkSnapshot(coordinatorUrl);
    const ready = snapshot.nodes.filter(
      (node) => node.role === role && models.every((id) => node.models.some((model) => model.id === id && model.state === 'loaded')),
    );
    if (ready.length >= count) return ready;
    if (Date.now() > deadline) {
      throw new Error(
        `Only ${ready.length}/${count} ${role} tabs serve ${models.join(', ')} after ${timeoutMs} ms. Network: ${JSON.stringify(snapshot.nodes)}\n${describe?.() ?? ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
