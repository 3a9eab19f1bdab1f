import SimplePeer from 'simple-peer';
import { FILE_CHUNK_MAX_BYTES, PeerError, peerSignalDataSchema } from '@tessera/shared';
import type { PeerFrame } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createPeerLink, type PeerLink } from './peer-link.ts';
import { closeAll, connectPair, nodeWebRtc, opened } from '../../test-support/peer-testing.ts';

const wrtc = nodeWebRtc();
let open: PeerLink[] = [];
let raw: SimplePeer.Instance[] = [];

afterEach(async () => {
  await closeAll(open);
  for (const peer of raw) peer.destroy();
  open = [];
  raw = [];
});

async function pair(): Promise<[PeerLink, PeerLink]> {
  const links = await connectPair({ wrtc });
  open.push(...links);
  return links;
}

function nextFrames(link: PeerLink, count: number): Promise<PeerFrame[]> {
  return new Promise((resolve) => {
    const frames: PeerFrame[] = [];
    const off = link.on('frame', (frame) => {
      frames.push(frame);
      if (frames.length === count) {
        off();
        resolve(frames);
      }
    });
  });
}

function nextError(link: PeerLink): Promise<PeerError> {
  return new Promise((resolve) => link.on('error', resolve));
}

describe('PeerLink over real WebRTC (Node, loopback)', () => {
  it('carries every frame kind both ways, decoded', { timeout: 15_000 }, async () => {
    const [a, b] = await pair();
    const toB: PeerFrame[] = [
      { type: 'file:request', requestId: 1, modelId: 'tessera/tiny-gpt2', path: 'config.json', offset: 0, length: 572 },
      { type: 'file:error', requestId: 2, code: 'peer_busy', message: 'later' },
    ];
    const toA: PeerFrame[] = [
      { type: 'file:chunk', requestId: 1, seq: 0, last: true, bytes: new Uint8Array(FILE_CHUNK_MAX_BYTES).map((_, i) => i % 253) },
    ];
    const atB = nextFrames(b, toB.length);
    const atA = nextFrames(a, toA.length);
    for (const frame of toB) await a.send(frame);
    for (const frame of toA) await b.send(frame);
    expect(await atB).toEqual(toB);
    const [chunk] = await atA;
    expect(
      chunk?.type === 'file:chunk' && Buffer.from(chunk.bytes).equals(Buffer.from(toA[0]?.type === 'file:chunk' ? toA[0].bytes : [])),
    ).toBe(true);
  });

  it('records when a frame last went either way (what a full hub closes by)', { timeout: 15_000 }, async () => {
    const [a, b] = await pair();
    const before = { a: a.lastActivityAt, b: b.lastActivityAt };
    await new Promise((resolve) => setTimeout(resolve, 5));
    const arrived = nextFrames(b, 1);
    await a.send({ type: 'file:error', requestId: 1, code: 'peer_busy', message: 'later' });
    expect(a.lastActivityAt).toBeGreaterThan(before.a);
    await arrived;
    expect(b.lastActivityAt).toBeGreaterThan(before.b);
  });

  it(
    'waits for the data channel to drain: 8 MiB arrive whole and in order while at most ~96 KiB is buffered',
    { timeout: 30_000 },
    async () => {
      const [a, b] = await pair();
      const total = 8 * 1024 * 1024;
      const frames = Math.ceil(total / FILE_CHUNK_MAX_BYTES);
      let received = 0;
      let nextSeq = 0;
      let ordered = true;
      const done = new Promise<void>((resolve) => {
        b.on('frame', (frame) => {
          if (frame.type !== 'file:chunk') return;
          if (frame.seq !== nextSeq++ || frame.bytes[0] !== frame.seq % 256) ordered = false;
          received += frame.bytes.byteLength;
          if (frame.last) resolve();
        });
      });
      let maxBuffered = 0;
      const started = performance.now();
      for (let seq = 0; seq < frames; seq++) {
        const size = Math.min(FILE_CHUNK_MAX_BYTES, total - seq * FILE_CHUNK_MAX_BYTES);
        await a.send({ type: 'file:chunk', requestId: 1, seq, last: seq === frames - 1, bytes: new Uint8Array(size).fill(seq % 256) });
        maxBuffered = Math.max(maxBuffered, a.bufferedAmount);
      }
      await done;
      const seconds = (performance.now() - started) / 1000;
      console.info(
        `peer-link: ${(total / 1024 / 1024).toFixed(0)} MiB in ${seconds.toFixed(2)} s = ${(total / 1024 / 1024 / seconds).toFixed(1)} MiB/s; max bufferedAmount ${maxBuffered} B`,
      );
      expect(received).toBe(total);
      expect(ordered).toBe(true);
      // simple-peer holds writes while bufferedAmount > 64 KiB; one more frame may be in the channel.
      expect(maxBuffered).toBeLessThanOrEqual(64 * 1024 + 32 * 1024);
    },
  );

  it('refuses to send a frame that does not encode, and stays open', { timeout: 15_000 }, async () => {
    const [a] = await pair();
    const oversize: PeerFrame = { type: 'file:chunk', requestId: 1, seq: 0, last: true, bytes: new Uint8Array(FILE_CHUNK_MAX_BYTES + 1) };
    await expect(a.send(oversize)).rejects.toMatchObject({ code: 'peer_frame_invalid' });
    expect(a.state).toBe('open');
  });

  it('fails the link on a garbage frame: error peer_frame_invalid, then close; sends are refused after', { timeout: 15_000 }, async () => {
    const remote = new SimplePeer({ initiator: true, wrtc, config: { iceServers: [] } });
    raw.push(remote);
    const link = createPeerLink({ initiator: false, wrtc, signal: (data) => setTimeout(() => remote.signal(JSON.stringify(data)), 0) });
    open.push(link);
    remote.on('signal', (data: unknown) => setTimeout(() => link.accept(peerSignalDataSchema.parse(data)), 0));
    await opened(link);
    const events: string[] = [];
    link.on('frame', () => events.push('frame'));
    const error = nextError(link);
    link.on('error', (e) => events.push(`error:${e.code}`));
    link.on('close', () => events.push('close'));
    const remoteClosed = new Promise((resolve) => remote.once('close', resolve));

    remote.send(Buffer.from('{"type":"file:chunk","not":"a frame"}'));
    expect((await error).code).toBe('peer_frame_invalid');
    await link.closed;
    expect(events).toEqual(['error:peer_frame_invalid', 'close']);
    expect(link.state).toBe('closed');
    await expect(link.send({ type: 'file:error', requestId: 1, code: 'peer_busy', message: '' })).rejects.toMatchObject({
      code: 'peer_closed',
    });
    // The other end sees the channel go away too.
    await remoteClosed;
  });

  it('rejects a frame waiting for the buffer to drain when the link closes', { timeout: 15_000 }, async () => {
    const links = await connectPair({ wrtc, maxQueuedFrames: 1 });
    open.push(...links);
    const [a] = links;
    const frame = (seq: number): PeerFrame => ({
      type: 'file:chunk',
      requestId: 1,
      seq,
      last: false,
      bytes: new Uint8Array(FILE_CHUNK_MAX_BYTES),
    });
    // With a queue of one frame, every send waits for the stream's `drain`, which comes a tick later.
    const waiting = a.send(frame(0));
    a.close();
    await expect(waiting).rejects.toMatchObject({ code: 'peer_closed' });
    await expect(a.send(frame(1))).rejects.toMatchObject({ code: 'peer_closed' });
  });

  it('times out when the other tab never answers', { timeout: 5_000 }, async () => {
    const link = createPeerLink({ initiator: true, wrtc, connectTimeoutMs: 300, signal: () => {} });
    open.push(link);
    const error = await nextError(link);
    expect(error.code).toBe('peer_timeout');
    await link.closed;
    expect(link.state).toBe('closed');
  });
});
