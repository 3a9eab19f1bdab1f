// The peer-to-peer protocol: signalling over the coordinator socket and frames on the data channel.
export * from './peer-errors.ts';
export * from './peer-signal.ts';
export * from './peer-frames.ts';
