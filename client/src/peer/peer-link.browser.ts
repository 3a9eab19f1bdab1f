// The PeerLink for pages and workers: installs the Node globals simple-peer needs, then the link itself.
import './node-globals.browser.ts';
export * from './peer-link.ts';
