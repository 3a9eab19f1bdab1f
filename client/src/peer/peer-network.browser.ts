// The peer layer for pages: installs the Node globals simple-peer needs before anything loads it.
import './node-globals.browser.ts';
import { PeerNetwork, type PeerNetworkOptions } from './peer-network.ts';

/** A `PeerNetwork` on the browser's own WebRTC; null where the browser has none (then no peers are used). */
export function createBrowserPeerNetwork(options: PeerNetworkOptions): PeerNetwork | null {
  if (typeof RTCPeerConnection === 'undefined') return null;
  return new PeerNetwork(options);
}
