import type { Browser, BrowserContext, JSHandle, Page } from 'playwright-core';
import { NetworkLog } from '../support/browser.ts';

/** What one tab hands the other through the benchmark process: its description or an ICE candidate. */
type Signal = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null };

/** When the receiving tab saw the first and the last byte of a throughput run (its `performance.now()`). */
export interface ReceiveTiming {
  bytes: number;
  firstAtMs: number;
  lastAtMs: number;
  /** Size of the first message: its bytes arrived before the clock started. */
  firstMessageBytes: number;
}

export interface CandidatePair {
  local: string;
  remote: string;
  state: string;
}

/** The benchmark's side of a tab, made by `installPeer`; Node holds it as a JSHandle. */
interface BenchPeer {
  open: Promise<void>;
  /** Every local candidate line, for the message when the channel does not open. */
  candidates: string[];
  receive(signal: Signal): Promise<void>;
  /** Starts counting binary data messages; `received` settles once `totalBytes` arrived. */
  armReceiver(totalBytes: number): void;
  received: Promise<ReceiveTiming> | null;
  /** Sends `totalBytes` in `frameBytes` messages, never adding one while bufferedAmount is over `lowBytes`. */
  sendBytes(totalBytes: number, frameBytes: number, lowBytes: number): Promise<{ maxBufferedBytes: number }>;
  /** One small message at a time, answered by the other tab; the measured round trips in ms. */
  pingPong(count: number, warmup: number): Promise<number[]>;
  selectedPair(): Promise<CandidatePair | null>;
}

declare global {
  interface Window {
    tesseraP2pSignal?: (signal: Signal) => Promise<void>;
  }
}

/** First byte of every message: what it is. */
const TAG = { data: 0, ping: 1, pong: 2 } as const;

/**
 * The page side: an RTCPeerConnection with no ICE servers and one ordered, reliable data channel (what
 * simple-peer, under PeerLink, makes); the offerer creates the channel. Data messages are counted,
 * pings are answered at once. Runs in the page, so it may use nothing from this module's scope.
 */
function installPeer({ offerer, tags }: { offerer: boolean; tags: typeof TAG }): BenchPeer {
  const connection = new RTCPeerConnection({ iceServers: [] });
  const candidates: string[] = [];
  let channel: RTCDataChannel | null = null;
  let signals = Promise.resolve();
  let receiving: { total: number; timing: ReceiveTiming; resolve: (timing: ReceiveTiming) => void } | null = null;
  let awaitingPong: { seq: number; resolve: (atMs: number) => void } | null = null;
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (opened = resolve));

  const signal = async (message: Signal): Promise<void> => {
    const deliver = window.tesseraP2pSignal;
    if (deliver === undefined) throw new Error('the benchmark did not expose tesseraP2pSignal');
    await deliver(message);
  };
  const apply = async (message: Signal): Promise<void> => {
    if ('description' in message) {
      await connection.setRemoteDescription(message.description);
      if (message.description.type === 'offer') {
        await connection.setLocalDescription();
        const local = connection.localDescription;
        if (local !== null) await signal({ description: local.toJSON() });
      }
    } else if (message.candidate !== null) {
      await connection.addIceCandidate(message.candidate);
    }
  };
  const onMessage = (event: MessageEvent<unknown>): void => {
    const now = performance.now();
    const data = event.data;
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0) return;
    const tag = new Uint8Array(data, 0, 1)[0];
    if (tag === tags.data) {
      if (receiving === null) return;
      const { timing } = receiving;
      if (timing.bytes === 0) {
        timing.firstAtMs = now;
        timing.firstMessageBytes = data.byteLength;
      }
      timing.bytes += data.byteLength;
      if (timing.bytes >= receiving.total) {
        timing.lastAtMs = now;
        receiving.resolve(timing);
        receiving = null;
      }
    } else if (tag === tags.ping) {
      const answer = new Uint8Array(data);
      answer[0] = tags.pong;
      channel?.send(answer);
    } else if (tag === tags.pong && awaitingPong !== null && new DataView(data).getUint32(1) === awaitingPong.seq) {
      awaitingPong.resolve(now);
      awaitingPong = null;
    }
  };
  const adopt = (created: RTCDataChannel): void => {
    channel = created;
    created.binaryType = 'arraybuffer';
    created.onopen = () => opened();
    created.onmessage = onMessage;
  };
  const openChannel = (): RTCDataChannel => {
    if (channel === null || channel.readyState !== 'open') throw new Error(`the data channel is ${channel?.readyState ?? 'not there'}`);
    return channel;
  };

  connection.onicecandidate = (event) => {
    if (event.candidate !== null) candidates.push(event.candidate.candidate);
    void signal({ candidate: event.candidate?.toJSON() ?? null });
  };
  connection.ondatachannel = (event) => adopt(event.channel);
  if (offerer) {
    adopt(connection.createDataChannel('bench'));
    connection.onnegotiationneeded = async () => {
      await connection.setLocalDescription();
      const local = connection.localDescription;
      if (local !== null) await signal({ description: local.toJSON() });
    };
  }

  const peer: BenchPeer = {
    open,
    candidates,
    // Signals are applied one at a time, in order: a candidate must never overtake the offer.
    receive: (message) => (signals = signals.then(() => apply(message))),
    received: null,
    armReceiver(totalBytes) {
      peer.received = new Promise<ReceiveTiming>((resolve) => {
        receiving = { total: totalBytes, timing: { bytes: 0, firstAtMs: 0, lastAtMs: 0, firstMessageBytes: 0 }, resolve };
      });
    },
    async sendBytes(totalBytes, frameBytes, lowBytes) {
      const out = openChannel();
      out.bufferedAmountLowThreshold = lowBytes;
      const frame = new Uint8Array(frameBytes);
      for (let i = 0; i < frame.length; i++) frame[i] = (i * 131) & 0xff;
      frame[0] = tags.data;
      let sent = 0;
      let maxBufferedBytes = 0;
      while (sent < totalBytes) {
        if (out.bufferedAmount > lowBytes) {
          await new Promise<void>((resolve) => out.addEventListener('bufferedamountlow', () => resolve(), { once: true }));
        }
        const size = Math.min(frameBytes, totalBytes - sent);
        out.send(size === frameBytes ? frame : frame.subarray(0, size));
        sent += size;
        maxBufferedBytes = Math.max(maxBufferedBytes, out.bufferedAmount);
      }
      return { maxBufferedBytes };
    },
    async pingPong(count, warmup) {
      const out = openChannel();
      const message = new Uint8Array(16);
      const view = new DataView(message.buffer);
      const roundTripsMs: number[] = [];
      for (let seq = 0; seq < warmup + count; seq++) {
        message[0] = tags.ping;
        view.setUint32(1, seq);
        const answered = new Promise<number>((resolve) => (awaitingPong = { seq, resolve }));
        const sentAt = performance.now();
        out.send(message);
        const answeredAt = await answered;
        if (seq >= warmup) roundTripsMs.push(answeredAt - sentAt);
      }
      return roundTripsMs;
    },
    async selectedPair() {
      const report = await connection.getStats();
      const entries: Array<Record<string, unknown>> = [];
      report.forEach((entry: Record<string, unknown>) => entries.push(entry));
      const transport = entries.find((entry) => entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string');
      const pair =
        entries.find((entry) => entry.type === 'candidate-pair' && entry.id === transport?.selectedCandidatePairId) ??
        entries.find((entry) => entry.type === 'candidate-pair' && entry.state === 'succeeded' && entry.nominated === true);
      if (pair === undefined) return null;
      const address = (id: unknown): string => String(entries.find((entry) => entry.id === id)?.address ?? '?');
      return { local: address(pair.localCandidateId), remote: address(pair.remoteCandidateId), state: String(pair.state) };
    },
  };
  return peer;
}

/** Rejects with a clear message when `promise` has not settled after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_resolve, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs / 1000} s`)), timeoutMs)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * tsx compiles with esbuild's `keepNames`, which wraps functions in `__name(fn, "name")`; a function
 * handed to `page.evaluate` carries that call into the page, where it must exist. Given as a string so
 * that it is not compiled itself.
 */
export const NAME_SHIM = 'globalThis.__name ??= (fn) => fn;';

export interface DataChannelPair {
  sender: JSHandle<BenchPeer>;
  receiver: JSHandle<BenchPeer>;
  /** Every request the two contexts made, for the check that nothing left the namespace. */
  logs: NetworkLog[];
  /** Whether the pages' clocks have the fine resolution of a cross-origin-isolated page (5 µs, else 100 µs). */
  crossOriginIsolated: boolean;
  pairs: Array<CandidatePair | null>;
}

/**
 * Two tabs in separate browser contexts (separate renderer processes) with an open data channel
 * between them, signalled through this process only. The tabs show the coordinator's /healthz: a
 * page with no script of its own, served with COOP + COEP so its clock has the fine resolution.
 */
export async function openDataChannelPair(browser: Browser, coordinatorUrl: string, contexts: BrowserContext[]): Promise<DataChannelPair> {
  const pages: Page[] = [];
  const logs: NetworkLog[] = [];
  for (let i = 0; i < 2; i++) {
    const context = await browser.newContext();
    contexts.push(context);
    logs.push(new NetworkLog(context));
    await context.addInitScript({ content: NAME_SHIM });
    const page = await context.newPage();
    await page.goto(`${coordinatorUrl}/healthz`);
    pages.push(page);
  }
  const [senderPage, receiverPage] = pages;
  if (senderPage === undefined || receiverPage === undefined) throw new Error('the two tabs did not open');
  const peers = new Map<Page, JSHandle<BenchPeer>>();
  const deliver = (to: Page) => async (signal: Signal) => {
    const peer = peers.get(to);
    if (peer === undefined) throw new Error('a signal arrived before the other tab was set up');
    await peer.evaluate((target, received) => target.receive(received), signal);
  };
  await senderPage.exposeFunction('tesseraP2pSignal', deliver(receiverPage));
  await receiverPage.exposeFunction('tesseraP2pSignal', deliver(senderPage));
  // The answerer first, so that it is there when the offer comes.
  const receiver = await receiverPage.evaluateHandle(installPeer, { offerer: false, tags: TAG });
  peers.set(receiverPage, receiver);
  const sender = await senderPage.evaluateHandle(installPeer, { offerer: true, tags: TAG });
  peers.set(senderPage, sender);
  const both = [sender, receiver];
  try {
    await within(Promise.all(both.map((peer) => peer.evaluate((target) => target.open))), 20_000, 'Opening the data channel');
  } catch (error) {
    const gathered = await Promise.all(both.map((peer) => peer.evaluate((target) => target.candidates)));
    throw new Error(`${error instanceof Error ? error.message : String(error)}. Local candidates: ${JSON.stringify(gathered)}`, {
      cause: error,
    });
  }
  const isolated = await Promise.all(pages.map((page) => page.evaluate(() => window.crossOriginIsolated)));
  const pairs = await Promise.all(both.map((peer) => peer.evaluate((target) => target.selectedPair())));
  return { sender, receiver, logs, crossOriginIsolated: isolated.every(Boolean), pairs };
}

export interface ThroughputRun {
  mibPerSecond: number;
  /** From the first to the last byte at the receiver. */
  receiveMs: number;
  maxBufferedBytes: number;
}

/** One throughput run: the receiver counts, the sender sends; the rate is the receiver's, first byte to last. */
export async function measureThroughput(
  pair: DataChannelPair,
  totalBytes: number,
  frameBytes: number,
  lowBytes: number,
): Promise<ThroughputRun> {
  await pair.receiver.evaluate((peer, total) => peer.armReceiver(total), totalBytes);
  const [sent, timing] = await within(
    Promise.all([
      pair.sender.evaluate((peer, { total, frame, low }) => peer.sendBytes(total, frame, low), {
        total: totalBytes,
        frame: frameBytes,
        low: lowBytes,
      }),
      pair.receiver.evaluate((peer) => {
        const received = peer.received;
        if (received === null) throw new Error('the receiver was not armed');
        return received;
      }),
    ]),
    // Generous: 1 MiB/s, and never under a minute; a stall is a broken channel, not a slow one.
    Math.max(60_000, totalBytes / 1024),
    `Sending ${totalBytes} bytes`,
  );
  const receiveMs = timing.lastAtMs - timing.firstAtMs;
  const mibPerSecond = (timing.bytes - timing.firstMessageBytes) / 1024 / 1024 / (receiveMs / 1000);
  return { mibPerSecond, receiveMs, maxBufferedBytes: sent.maxBufferedBytes };
}

/** Ping-pong round trips in ms, measured in the sending tab; `warmup` more go first, unmeasured. */
export async function measureRoundTrips(pair: DataChannelPair, count: number, warmup: number): Promise<number[]> {
  return within(
    pair.sender.evaluate((peer, { n, w }) => peer.pingPong(n, w), { n: count, w: warmup }),
    Math.max(60_000, count * 100),
    `${count} round trips`,
  );
}
