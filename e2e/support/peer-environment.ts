import type { Browser } from 'playwright-core';
import { launchChromiumInNamespace } from './browser.ts';
import { startCoordinator, type RunningCoordinator } from './coordinator.ts';
import { createNetworkNamespace, namespaceSupport, type NetworkNamespace } from './network-namespace.ts';

/** A coordinator on the host side of a fresh network namespace and a Chromium running inside it. */
export interface PeerEnvironment {
  namespace: NetworkNamespace;
  coordinator: RunningCoordinator;
  browser: Browser;
  /** Closes the browser, the coordinator and the namespace, each even when another fails. */
  close(): Promise<void>;
}

/**
 * Chromium gathers no loopback ICE candidates (DESIGN.md section 9), so tabs that must link to each other
 * run inside a namespace the test makes; nothing they send leaves it but to the coordinator on the veth.
 * Fails, not skips, where namespaces cannot be made: CI runs as root.
 */
export async function startPeerEnvironment(): Promise<PeerEnvironment> {
  const support = namespaceSupport();
  if (!support.ok) throw new Error(`Peer-to-peer e2e tests need a network namespace: ${support.reason}`);
  const namespace = await createNetworkNamespace();
  let coordinator: RunningCoordinator | undefined;
  try {
    coordinator = await startCoordinator({}, { host: namespace.hostAddress });
    const browser = await launchChromiumInNamespace(namespace, coordinator.url);
    const started = coordinator;
    return {
      namespace,
      coordinator: started,
      browser,
      close: async () => {
        await browser.close().catch(() => undefined);
        await started.close().catch(() => undefined);
        await namespace.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await coordinator?.close().catch(() => undefined);
    await namespace.close().catch(() => undefined);
    throw error;
  }
}
