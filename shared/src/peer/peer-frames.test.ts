import { describe, expect, it } from 'vitest';
import { FILE_CHUNK_MAX_BYTES, MAX_FRAME_BYTES, decodePeerFrame, encodePeerFrame, type PeerFrame } from './peer-frames.ts';

function encode(frame: PeerFrame): Uint8Array {
  const outcome = encodePeerFrame(frame);
  if (!outcome.ok) throw new Error(outcome.reason);
  return outcome.bytes;
}

function header(kind: number, fields: unknown, payload: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(fields));
  const bytes = new Uint8Array(4 + json.byteLength + payload.byteLength);
  bytes[0] = 1;
  bytes[1] = kind;
  new DataView(bytes.buffer).setUint16(2, json.byteLength);
  bytes.set(json, 4);
  bytes.set(payload, 4 + json.byteLength);
  return bytes;
}

describe('peer frames', () => {
  it.each<PeerFrame>([
    { type: 'file:request', requestId: 7, modelId: 'tessera/tiny-gpt2', path: 'onnx/model.onnx', offset: 65_536, length: 1024 * 1024 },
    { type: 'file:chunk', requestId: 0xffff_ffff, seq: 3, last: true, bytes: new Uint8Array(FILE_CHUNK_MAX_BYTES).map((_, i) => i % 251) },
    { type: 'file:chunk', requestId: 1, seq: 0, last: false, bytes: new Uint8Array() },
    { type: 'file:error', requestId: 9, code: 'peer_file_unavailable', message: 'no such file' },
  ])('round-trips $type', (frame) => {
    const bytes = encode(frame);
    expect(bytes.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    const decoded = decodePeerFrame(bytes);
    expect(decoded).toEqual({ ok: true, frame });
    // An ArrayBuffer (what a browser data channel delivers) decodes the same.
    expect(decodePeerFrame(bytes.slice().buffer)).toEqual({ ok: true, frame });
  });

  it('decodes a frame that is a view into a larger buffer', () => {
    const bytes = encode({ type: 'file:chunk', requestId: 2, seq: 1, last: false, bytes: new Uint8Array([1, 2, 3]) });
    const padded = new Uint8Array(bytes.byteLength + 10);
    padded.set(bytes, 5);
    const decoded = decodePeerFrame(padded.subarray(5, 5 + bytes.byteLength));
    expect(decoded.ok && decoded.frame.type === 'file:chunk' && [...decoded.frame.bytes]).toEqual([1, 2, 3]);
  });

  it.each<[string, PeerFrame]>([
    ['an oversize chunk', { type: 'file:chunk', requestId: 1, seq: 0, last: true, bytes: new Uint8Array(FILE_CHUNK_MAX_BYTES + 1) }],
    ['a request for more than 1 MiB', { type: 'file:request', requestId: 1, modelId: 'm', path: 'p', offset: 0, length: 1024 * 1024 + 1 }],
    ['a negative offset', { type: 'file:request', requestId: 1, modelId: 'm', path: 'p', offset: -1, length: 1 }],
    ['a header over 1 KiB', { type: 'file:error', requestId: 1, code: 'peer_busy', message: '\u00e9'.repeat(500) }],
  ])('refuses to encode %s', (_name, frame) => {
    expect(encodePeerFrame(frame).ok).toBe(false);
  });

  const chunkFields = { requestId: 1, seq: 0, last: true };
  it.each<[string, unknown]>([
    ['text', 'hello'],
    ['null', null],
    ['an empty message', new Uint8Array()],
    ['a message over 32 KiB', new Uint8Array(MAX_FRAME_BYTES + 1)],
    [
      'a wrong version',
      (() => {
        const b = header(2, chunkFields);
        b[0] = 2;
        return b;
      })(),
    ],
    ['an unknown kind', header(9, chunkFields)],
    [
      'a header length past the end',
      (() => {
        const b = header(2, chunkFields);
        new DataView(b.buffer).setUint16(2, 500);
        return b;
      })(),
    ],
    [
      'a header that is not JSON',
      (() => {
        const b = header(2, chunkFields);
        b[4] = 0x7b;
        b[5] = 0x7b;
        return b;
      })(),
    ],
    [
      'a header that is not UTF-8',
      (() => {
        const b = header(2, chunkFields);
        b[5] = 0xff;
        return b;
      })(),
    ],
    ['missing fields', header(2, { requestId: 1 })],
    ['extra fields', header(2, { ...chunkFields, offset: 3 })],
    ['a fractional seq', header(2, { ...chunkFields, seq: 0.5 })],
    ['an unknown error code', header(3, { requestId: 1, code: 'oops', message: '' })],
    ['a payload on a request', header(1, { requestId: 1, modelId: 'm', path: 'p', offset: 0, length: 1 }, new Uint8Array(1))],
    ['an oversize chunk payload', header(2, chunkFields, new Uint8Array(FILE_CHUNK_MAX_BYTES + 1))],
    ['random bytes', new Uint8Array(1000).map((_, i) => (i * 7919) % 256)],
  ])('refuses to decode %s', (_name, data) => {
    const outcome = decodePeerFrame(data);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason.length).toBeGreaterThan(3);
  });
});
