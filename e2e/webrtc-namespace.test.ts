import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkLog, launchChromiumInNamespace } from './support/browser.ts';
import { startCoordinator, type RunningCoordinator } from './support/coordinator.ts';
import { createNetworkNamespace, namespaceSupport, type NetworkNamespace } from './support/network-namespace.ts';

/** Two tabs on one interface connect in well under a second; a stall is a broken setup, not a slow one. */
const OPEN_TIMEOUT_MS = 20_000;

/** What one tab sends the other through the test process: its description or an ICE candidate. */
type Signal = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null };

interface PeerWindow {
  tesseraSignal(signal: Signal): Promise<void>;
  tesseraPeer: {
    receive(signal: Signal): Promise<void>;
    messages: string[];
    /** Every local candidate line, for the failure message. */
    candidates: string[];
    open: Promise<void>;
    send(text: string): void;
    selectedPair(): Promise<{ local: string; remote: string; state: string } | undefined>;
  };
}

/** Sets up an RTCPeerConnection with no ICE servers; the offerer also makes the data channel. */
async function preparePeer(page: Page, offerer: boolean): Promise<void> {
  await page.evaluate((isOfferer) => {
    const peerWindow = window as unknown as PeerWindow;
    const connection = new RTCPeerConnection({ iceServers: [] });
    const messages: string[] = [];
    const candidates: string[] = [];
    let channel: RTCDataChannel | undefined;
    let queue = Promise.resolve();
    const apply = async (signal: Signal): Promise<void> => {
      if ('description' in signal) {
        await connection.setRemoteDescription(signal.description);
        if (signal.description.type === 'offer') {
          await connection.setLocalDescription();
          await peerWindow.tesseraSignal({ description: connection.localDescription!.toJSON() });
        }
      } else if (signal.candidate) {
        await connection.addIceCandidate(signal.candidate);
      }
    };
    let opened: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const adopt = (created: RTCDataChannel): void => {
      channel = created;
      created.onopen = () => opened();
      created.onmessage = (event) => messages.push(String(event.data));
    };
    connection.onicecandidate = (event) => {
      if (event.candidate) candidates.push(event.candidate.candidate);
      void peerWindow.tesseraSignal({ candidate: event.candidate?.toJSON() ?? null });
    };
    connection.ondatachannel = (event) => adopt(event.channel);
    if (isOfferer) {
      adopt(connection.createDataChannel('probe'));
      connection.onnegotiationneeded = async () => {
        await connection.setLocalDescription();
        await peerWindow.tesseraSignal({ description: connection.localDescription!.toJSON() });
      };
    }
    peerWindow.tesseraPeer = {
      messages,
      candidates,
      open,
      send: (text) => channel!.send(text),
      // Signals are applied one at a time, in order: a candidate must never overtake the offer.
      receive: (signal) => (queue = queue.then(() => apply(signal))),
      selectedPair: async () => {
        const stats = await connection.getStats();
        const all = [...stats.values()] as Array<Record<string, unknown>>;
        const transport = all.find((entry) => entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string');
        const pair =
          all.find((entry) => entry.type === 'candidate-pair' && entry.id === transport?.selectedCandidatePairId) ??
          all.find((entry) => entry.type === 'candidate-pair' && entry.state === 'succeeded' && entry.nominated === true);
        if (!pair) return undefined;
        const local = stats.get(String(pair.localCandidateId)) as { address?: string } | undefined;
        const remote = stats.get(String(pair.remoteCandidateId)) as { address?: string } | undefined;
        return { local: String(local?.address), remote: String(remote?.address), state: String(pair.state) };
      },
    };
  }, offerer);
}

describe('browser-to-browser WebRTC inside a network namespace', () => {
  let namespace: NetworkNamespace | undefined;
  let coordinator: RunningCoordinator | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let log: NetworkLog;
  const pages: Page[] = [];

  beforeAll(async () => {
    const support = namespaceSupport();
    // CI runs as root: an unsupported machine is a failure to see, not a test to skip quietly.
    if (!support.ok) throw new Error(`This test needs its own network namespace and cannot make one: ${support.reason}`);
    namespace = await createNetworkNamespace();
    coordinator = await startCoordinator({}, { host: namespace.hostAddress });
    browser = await launchChromiumInNamespace(namespace, coordinator.url);
    context = await browser.newContext();
    log = new NetworkLog(context);
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await coordinator?.close().catch(() => undefined);
    await namespace?.close();
  });

  it('opens a data channel between two tabs over the namespace address, and nothing leaves it', async () => {
    if (!namespace || !coordinator) throw new Error('setup failed');
    const hostAddress = namespace.hostAddress;
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      await page.goto(`${coordinator.url}/`);
      pages.push(page);
    }
    const [first, second] = pages as [Page, Page];

    for (const page of pages) {
      const state = await page.evaluate(() => ({
        secure: window.isSecureContext,
        isolated: window.crossOriginIsolated,
        origin: location.origin,
      }));
      expect(state).toEqual({ secure: true, isolated: true, origin: new URL(coordinator.url).origin });
    }

    // Signalling goes through the test process only: each tab's messages are handed to the other.
    const deliver = (to: Page) => (signal: Signal) =>
      to.evaluate((received) => (window as unknown as PeerWindow).tesseraPeer.receive(received), signal);
    await first.exposeFunction('tesseraSignal', deliver(second));
    await second.exposeFunction('tesseraSignal', deliver(first));
    await preparePeer(second, false);
    await preparePeer(first, true);

    const opened = (page: Page) => page.evaluate(() => (window as unknown as PeerWindow).tesseraPeer.open);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), OPEN_TIMEOUT_MS)));
    const outcome = await Promise.race([Promise.all([opened(first), opened(second)]), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const gathered = await Promise.all(
        pages.map((page) => page.evaluate(() => (window as unknown as PeerWindow).tesseraPeer.candidates)),
      );
      throw new Error(`The data channel did not open within ${OPEN_TIMEOUT_MS} ms. Local candidates: ${JSON.stringify(gathered)}`);
    }

    await first.evaluate(() => (window as unknown as PeerWindow).tesseraPeer.send('ping from the first tab'));
    await second.evaluate(() => (window as unknown as PeerWindow).tesseraPeer.send('pong from the second tab'));
    const messages = (page: Page) => page.evaluate(() => (window as unknown as PeerWindow).tesseraPeer.messages);
    await expect.poll(() => messages(second)).toEqual(['ping from the first tab']);
    await expect.poll(() => messages(first)).toEqual(['pong from the second tab']);

    for (const page of pages) {
      // The selected pair's stats can still say `in-progress` just after the channel opened; they settle.
      await expect
        .poll(() => page.evaluate(() => (window as unknown as PeerWindow).tesseraPeer.selectedPair()), { timeout: 10_000 })
        .toEqual({ local: namespace.namespaceAddress, remote: namespace.namespaceAddress, state: 'succeeded' });
    }

    expect(log.urls.length).toBeGreaterThan(0);
    expect(log.outside([hostAddress])).toEqual([]);
  });
});
