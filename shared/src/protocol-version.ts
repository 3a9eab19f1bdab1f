/** Bumped on any incompatible change to socket events or peer frames; tabs announce it in `worker:hello`. */
export const PROTOCOL_VERSION = 1;
