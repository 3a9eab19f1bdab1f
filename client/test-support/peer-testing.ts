// Test support for Node: real WebRTC peers over loopback with @roamhq/wrtc. Never imported by pages.
import { createRequire } from 'node:module';
import { peerSignalDataSchema } from '@tessera/shared';
import { createPeerLink, type PeerLink, type PeerLinkOptions, type WebRtcImplementation } from '../src/peer/peer-link.ts';

const require = createRequire(import.meta.url);

/** `@roamhq/wrtc` (a CommonJS binding whose named exports ESM cannot see). */
export function nodeWebRtc(): WebRtcImplementation {
  const wrtc: typeof import('@roamhq/wrtc') = require('@roamhq/wrtc');
  return {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
  };
}

/**
 * Two links wired to each other as the coordinator would: every signal goes through JSON and the shared
 * schema, asynchronously. Resolves once both ends are open.
 */
export async function connectPair(options: Partial<Omit<PeerLinkOptions, 'initiator' | 'signal'>> = {}): Promise<[PeerLink, PeerLink]> {
  const wrtc = options.wrtc ?? nodeWebRtc();
  const relay = (to: () => PeerLink) => (data: unknown) => {
    const parsed = peerSignalDataSchema.parse(JSON.parse(JSON.stringify(data)));
    setTimeout(() => to().accept(parsed), 0);
  };
  const a: PeerLink = createPeerLink({ connectTimeoutMs: 10_000, ...options, wrtc, initiator: true, signal: relay(() => b) });
  const b: PeerLink = createPeerLink({ connectTimeoutMs: 10_000, ...options, wrtc, initiator: false, signal: relay(() => a) });
  await Promise.all([opened(a), opened(b)]);
  return [a, b];
}

export function opened(link: PeerLink): Promise<void> {
  return new Promise((resolve, reject) => {
    if (link.state === 'open') return resolve();
    link.on('open', resolve);
    link.on('error', reject);
    link.on('close', () => reject(new Error('closed before opening')));
  });
}

/** Closes links and waits until their connections are released, so the test process can exit. */
export async function closeAll(links: readonly PeerLink[]): Promise<void> {
  for (const link of links) link.close();
  await Promise.all(links.map((link) => link.closed));
}
