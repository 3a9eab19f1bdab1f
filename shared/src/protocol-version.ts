/**
 * Bumped on any incompatible change to socket events or peer frames; tabs announce it in `worker:hello`,
 * and a tab still running an older page is told to reload. 2: `worker:welcome` carries `iceServers` and
 * `directStreamKey`, `task:handoff` and `peer:report` exist, peer frames 4–6.
 */
export const PROTOCOL_VERSION = 2;
