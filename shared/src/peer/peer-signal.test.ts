import { describe, expect, it } from 'vitest';
import {
  MAX_SDP_CHARS,
  newPeerSessionId,
  peerSeedersSchema,
  peerSignalDataSchema,
  peerSignalRelayedSchema,
  peerSignalSchema,
} from './peer-signal.ts';

const to = '6f1c1d1e-8f0a-4c39-9f0e-3b0d7b6b2a10';
const from = '0b7c2f0e-5d1a-4e5b-8d3c-2a9f1e6b4c70';
const sessionId = newPeerSessionId();
const candidate = {
  type: 'candidate',
  candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host', sdpMLineIndex: 0, sdpMid: '0' },
};

describe('peer signalling messages', () => {
  it.each([
    ['an offer', { type: 'offer', sdp: 'v=0\r\n' }],
    ['an answer', { type: 'answer', sdp: 'v=0\r\n' }],
    ['a candidate', candidate],
    ['a candidate with null mid and index', { type: 'candidate', candidate: { candidate: '', sdpMLineIndex: null, sdpMid: null } }],
  ])('accepts %s', (_name, data) => {
    expect(peerSignalSchema.safeParse({ to, sessionId, data }).success).toBe(true);
  });

  it.each([
    ['renegotiation (media only)', { type: 'renegotiate', renegotiate: true }],
    ['a transceiver request', { type: 'transceiverRequest', transceiverRequest: { kind: 'video' } }],
    ['an SDP over 64 KiB', { type: 'offer', sdp: 'x'.repeat(MAX_SDP_CHARS + 1) }],
    ['an empty SDP', { type: 'answer', sdp: '' }],
    ['an offer with extra fields', { type: 'offer', sdp: 'v=0', extra: 1 }],
    ['a candidate that is a string', { type: 'candidate', candidate: 'candidate:1' }],
    ['a string', 'offer'],
  ])('refuses %s', (_name, data) => {
    expect(peerSignalDataSchema.safeParse(data).success).toBe(false);
  });

  it('lets only the coordinator say who sent a signal', () => {
    expect(peerSignalSchema.safeParse({ to, from, sessionId, data: candidate }).success).toBe(false);
    expect(peerSignalRelayedSchema.safeParse({ to, from, sessionId, data: candidate }).success).toBe(true);
    expect(peerSignalRelayedSchema.safeParse({ to, sessionId, data: candidate }).success).toBe(false);
  });

  it('refuses a session id that is not a uuid and too many seeders', () => {
    expect(peerSignalSchema.safeParse({ to, sessionId: 'abc', data: candidate }).success).toBe(false);
    expect(peerSeedersSchema.safeParse({ modelId: 'm', seeders: Array.from({ length: 9 }, () => to) }).success).toBe(false);
    expect(peerSeedersSchema.safeParse({ modelId: 'm', seeders: [to] }).success).toBe(true);
  });
});
