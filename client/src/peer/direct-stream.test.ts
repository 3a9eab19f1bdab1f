import { newNodeId, newTaskId } from '@tessera/shared';
import type { PeerFrame, TaskAccept, TaskChunk, TaskId, TaskStreamEndFrame, TaskStreamFrame } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectStreamSender } from './direct-stream-sender.ts';
import { DirectStreamReceiver, type DirectStreamState } from './direct-stream-receiver.ts';
import type { PeerLink } from './peer-link.ts';
import { closeAll, connectPair, nodeWebRtc } from '../../test-support/peer-testing.ts';

const wrtc = nodeWebRtc();
let open: PeerLink[] = [];

afterEach(async () => {
  await closeAll(open);
  open = [];
});

async function pair(): Promise<[PeerLink, PeerLink]> {
  const links = await connectPair({ wrtc });
  open.push(...links);
  return links;
}

/** The coordinator as the sender sees it: records chunks and lease renewals. */
class RecordingSink {
  readonly chunks: TaskChunk[] = [];
  readonly accepts: TaskAccept[] = [];
  chunk(payload: TaskChunk): void {
    this.chunks.push(payload);
  }
  accept(payload: TaskAccept): void {
    this.accepts.push(payload);
  }
}

type StreamFrame = TaskStreamFrame | TaskStreamEndFrame;

/** Collects the task frames a link receives; `ended` resolves with all of them once `task:stream-end` arrives. */
function collect(link: PeerLink): { frames: StreamFrame[]; ended: Promise<StreamFrame[]> } {
  const frames: StreamFrame[] = [];
  const ended = new Promise<StreamFrame[]>((resolve) => {
    link.on('frame', (frame: PeerFrame) => {
      if (frame.type !== 'task:stream' && frame.type !== 'task:stream-end') return;
      frames.push(frame);
      if (frame.type === 'task:stream-end') resolve(frames);
    });
  });
  return { frames, ended };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function texts(frames: readonly StreamFrame[]): [number, string][] {
  return frames.flatMap((frame) => (frame.type === 'task:stream' ? [[frame.seq, frame.delta] as [number, string]] : []));
}

function replayed(sink: RecordingSink): [number, string][] {
  return sink.chunks.map((chunk) => [chunk.seq, chunk.delta]);
}

describe('createDirectStreamSender over real WebRTC (Node, loopback)', () => {
  it(
    'holds deltas until the link opens, then sends every one in order and ends complete with the chunk count',
    { timeout: 15_000 },
    async () => {
      const taskId = newTaskId();
      const sink = new RecordingSink();
      const link = deferred<PeerLink>();
      const sender = createDirectStreamSender({ taskId, link: link.promise, sink, renewEveryMs: 60_000 });
      sender.push('Hel');
      sender.push('lo');
      const [worker, requester] = await pair();
      const received = collect(requester);
      link.resolve(worker);
      await sleep(0);
      sender.push(' world');
      expect(await sender.end('complete')).toEqual({ direct: true });

      const frames = await received.ended;
      expect(texts(frames)).toEqual([
        [0, 'Hel'],
        [1, 'lo'],
        [2, ' world'],
      ]);
      expect(frames.at(-1)).toEqual({ type: 'task:stream-end', taskId, chunks: 3, status: 'complete' });
      expect(frames.every((frame) => frame.taskId === taskId)).toBe(true);
      expect(sink.chunks).toEqual([]);
    },
  );

  it('gives every piece to the coordinator as task:chunk from seq 0 when the link never opens', async () => {
    const taskId = newTaskId();
    const sink = new RecordingSink();
    const reasons: string[] = [];
    const sender = createDirectStreamSender({
      taskId,
      link: Promise.reject(new Error('no link to the requester')),
      sink,
      renewEveryMs: 60_000,
      onFallback: (reason) => reasons.push(reason),
    });
    sender.push('a');
    sender.push('b');
    expect(sink.chunks).toEqual([]);
    await sleep(0);
    sender.push('c');
    expect(await sender.end('complete')).toEqual({ direct: false });
    expect(sink.chunks).toEqual([
      { taskId, seq: 0, delta: 'a' },
      { taskId, seq: 1, delta: 'b' },
      { taskId, seq: 2, delta: 'c' },
    ]);
    expect(reasons).toEqual(['no link to the requester']);
  });

  it(
    'replays everything to the coordinator from seq 0 when the link closes mid-stream, and sends the rest there',
    { timeout: 15_000 },
    async () => {
      const taskId = newTaskId();
      const sink = new RecordingSink();
      const reasons: string[] = [];
      const [worker, requester] = await pair();
      const received = collect(requester);
      const sender = createDirectStreamSender({
        taskId,
        link: Promise.resolve(worker),
        sink,
        renewEveryMs: 60_000,
        onFallback: (reason) => reasons.push(reason),
      });
      await sleep(0);
      sender.push('one ');
      sender.push('two ');
      for (let waited = 0; received.frames.length < 2 && waited < 5_000; waited += 10) await sleep(10);
      expect(texts(received.frames)).toEqual([
        [0, 'one '],
        [1, 'two '],
      ]);
      expect(sink.chunks).toEqual([]);

      worker.close();
      await worker.closed;
      expect(replayed(sink)).toEqual([
        [0, 'one '],
        [1, 'two '],
      ]);
      sender.push('three');
      expect(await sender.end('complete')).toEqual({ direct: false });
      expect(replayed(sink)).toEqual([
        [0, 'one '],
        [1, 'two '],
        [2, 'three'],
      ]);
      expect(reasons).toEqual(['the link closed']);
      expect(received.frames.some((frame) => frame.type === 'task:stream-end')).toBe(false);
    },
  );

  it('renews the lease every renewEveryMs while the text goes direct, and stops at the end', { timeout: 15_000 }, async () => {
    const taskId = newTaskId();
    const sink = new RecordingSink();
    const [worker] = await pair();
    const sender = createDirectStreamSender({ taskId, link: Promise.resolve(worker), sink, renewEveryMs: 20 });
    sender.push('x');
    await sleep(130);
    expect(sink.accepts.length).toBeGreaterThanOrEqual(3);
    expect(sink.accepts.every((accept) => accept.taskId === taskId)).toBe(true);
    expect(await sender.end('complete')).toEqual({ direct: true });
    const atEnd = sink.accepts.length;
    await sleep(80);
    expect(sink.accepts.length).toBe(atEnd);
    expect(sink.chunks).toEqual([]);
  });

  it('does not renew the lease once the text goes to the coordinator (its chunks renew it)', async () => {
    const sink = new RecordingSink();
    const sender = createDirectStreamSender({ taskId: newTaskId(), link: Promise.reject(new Error('no link')), sink, renewEveryMs: 10 });
    await sleep(80);
    sender.push('x');
    await sender.end('complete');
    expect(sink.accepts).toEqual([]);
    expect(sink.chunks).toHaveLength(1);
  });

  it('waits up to openWaitMs for a link still opening, then gives the text to the coordinator', async () => {
    const taskId = newTaskId();
    const sink = new RecordingSink();
    const reasons: string[] = [];
    const never = new Promise<PeerLink>(() => {});
    const sender = createDirectStreamSender({
      taskId,
      link: never,
      sink,
      renewEveryMs: 60_000,
      openWaitMs: 150,
      onFallback: (reason) => reasons.push(reason),
    });
    sender.push('a');
    sender.push('b');
    const started = performance.now();
    expect(await sender.end('complete')).toEqual({ direct: false });
    const waitedMs = performance.now() - started;
    expect(waitedMs).toBeGreaterThanOrEqual(140);
    expect(waitedMs).toBeLessThan(1_000);
    expect(replayed(sink)).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(reasons).toEqual(['the link did not open in time']);
  });

  it('sends direct when the link opens while end waits for it', { timeout: 15_000 }, async () => {
    const taskId = newTaskId();
    const sink = new RecordingSink();
    const link = deferred<PeerLink>();
    const sender = createDirectStreamSender({ taskId, link: link.promise, sink, renewEveryMs: 60_000, openWaitMs: 10_000 });
    sender.push('late');
    const ending = sender.end('complete');
    const [worker, requester] = await pair();
    const received = collect(requester);
    link.resolve(worker);
    expect(await ending).toEqual({ direct: true });
    const frames = await received.ended;
    expect(frames).toEqual([
      { type: 'task:stream', taskId, seq: 0, delta: 'late' },
      { type: 'task:stream-end', taskId, chunks: 1, status: 'complete' },
    ]);
    expect(sink.chunks).toEqual([]);
  });
});

describe('createDirectStreamSender after the task ended or over a reused link', () => {
  // TaskRunner calls `end('abandoned')` when the run was cancelled or failed: the coordinator already took
  // the task away, so nothing of it may reach the coordinator any more (no replay, no lease renewal).
  it('sends nothing to the coordinator for an abandoned text whose link had not opened', async () => {
    const sink = new RecordingSink();
    const never = new Promise<PeerLink>(() => {});
    const sender = createDirectStreamSender({ taskId: newTaskId(), link: never, sink, renewEveryMs: 20, openWaitMs: 100 });
    sender.push('cancelled ');
    sender.push('text');
    expect(await sender.end('abandoned')).toEqual({ direct: false });
    expect(sink.chunks).toEqual([]);
    expect(sink.accepts).toEqual([]);
  });

  // The page reuses one link per requester: each ended stream must drop its listener, which holds the text.
  it('lets go of the link when the text has ended', async () => {
    const listening = new Map<string, number>();
    const link: PeerLink = {
      state: 'open',
      bufferedAmount: 0,
      lastActivityAt: 0,
      closed: new Promise(() => {}),
      accept: () => undefined,
      send: () => Promise.resolve(),
      on: (event) => {
        listening.set(event, (listening.get(event) ?? 0) + 1);
        return () => listening.set(event, (listening.get(event) ?? 0) - 1);
      },
      close: () => undefined,
    };
    for (let task = 0; task < 3; task++) {
      const sender = createDirectStreamSender({
        taskId: newTaskId(),
        link: Promise.resolve(link),
        sink: new RecordingSink(),
        renewEveryMs: 60_000,
      });
      await sleep(0);
      sender.push('text');
      expect(await sender.end('complete')).toEqual({ direct: true });
    }
    expect(listening.get('close') ?? 0).toBe(0);
  });
});

describe('DirectStreamReceiver', () => {
  const worker = newNodeId();
  const stream = (taskId: TaskId, seq: number, delta: string): TaskStreamFrame => ({ type: 'task:stream', taskId, seq, delta });
  const end = (taskId: TaskId, chunks: number, status: 'complete' | 'abandoned' = 'complete'): TaskStreamEndFrame => ({
    type: 'task:stream-end',
    taskId,
    chunks,
    status,
  });

  function expecting(): { receiver: DirectStreamReceiver; taskId: TaskId; changes: DirectStreamState[] } {
    const receiver = new DirectStreamReceiver();
    const taskId = newTaskId();
    const changes: DirectStreamState[] = [];
    receiver.expect(taskId, (state) => changes.push(state));
    return { receiver, taskId, changes };
  }

  it('ignores frames for tasks it was not told to expect', () => {
    const { receiver, taskId, changes } = expecting();
    const other = newTaskId();
    receiver.handle(worker, stream(other, 0, 'not mine'));
    receiver.handle(worker, end(other, 1));
    expect(changes).toEqual([]);
    expect(receiver.forget(other)).toBeUndefined();
    expect(receiver.forget(taskId)).toEqual({ text: '', status: 'waiting', from: null, chunks: 0 });
  });

  it('puts text together in order and completes when the end frame counts every chunk', () => {
    const { receiver, taskId, changes } = expecting();
    receiver.handle(worker, stream(taskId, 0, 'Hel'));
    receiver.handle(worker, stream(taskId, 1, 'lo'));
    expect(changes.at(-1)).toEqual({ text: 'Hello', status: 'streaming', from: worker, chunks: 2 });
    receiver.handle(worker, end(taskId, 2));
    expect(changes.map((state) => state.status)).toEqual(['streaming', 'streaming', 'complete']);
    expect(receiver.forget(taskId)).toEqual({ text: 'Hello', status: 'complete', from: worker, chunks: 2 });
  });

  it('abandons the stream at the first frame out of order and ignores what follows', () => {
    const { receiver, taskId, changes } = expecting();
    receiver.handle(worker, stream(taskId, 0, 'a'));
    receiver.handle(worker, stream(taskId, 2, 'c'));
    receiver.handle(worker, stream(taskId, 1, 'b'));
    receiver.handle(worker, end(taskId, 3));
    expect(changes.map((state) => state.status)).toEqual(['streaming', 'abandoned']);
    expect(receiver.forget(taskId)).toMatchObject({ text: 'a', status: 'abandoned', chunks: 1 });
  });

  it('ignores a second worker unless it starts at seq 0, which restarts the text (a hand-off)', () => {
    const { receiver, taskId } = expecting();
    const second = newNodeId();
    receiver.handle(worker, stream(taskId, 0, 'first '));
    receiver.handle(worker, stream(taskId, 1, 'worker'));
    receiver.handle(second, stream(taskId, 2, 'intruder'));
    receiver.handle(second, end(taskId, 3));
    expect(receiver.forget(taskId)).toEqual({ text: 'first worker', status: 'streaming', from: worker, chunks: 2 });

    const { receiver: handedOff, taskId: moved } = expecting();
    handedOff.handle(worker, stream(moved, 0, 'partial'));
    handedOff.handle(second, stream(moved, 0, 'Hello'));
    handedOff.handle(worker, stream(moved, 1, ' stale'));
    handedOff.handle(second, stream(moved, 1, ' again'));
    handedOff.handle(second, end(moved, 2));
    expect(handedOff.forget(moved)).toEqual({ text: 'Hello again', status: 'complete', from: second, chunks: 2 });
  });

  it('abandons the stream when the end frame counts other chunks than arrived, or says abandoned', () => {
    const { receiver, taskId } = expecting();
    receiver.handle(worker, stream(taskId, 0, 'a'));
    receiver.handle(worker, stream(taskId, 1, 'b'));
    receiver.handle(worker, end(taskId, 3));
    expect(receiver.forget(taskId)).toMatchObject({ text: 'ab', status: 'abandoned' });

    const { receiver: other, taskId: given } = expecting();
    other.handle(worker, stream(given, 0, 'a'));
    other.handle(worker, end(given, 1, 'abandoned'));
    expect(other.forget(given)).toMatchObject({ text: 'a', status: 'abandoned' });
  });

  // After a hand-off the first worker says `abandoned` (usually before the second one starts); the second
  // worker's text must still be taken from its seq 0.
  it('restarts the text for the worker that took a hand-off after the first one abandoned its stream', () => {
    const { receiver, taskId } = expecting();
    const second = newNodeId();
    receiver.handle(worker, stream(taskId, 0, 'partial'));
    receiver.handle(worker, end(taskId, 1, 'abandoned'));
    receiver.handle(second, stream(taskId, 0, 'Hello'));
    receiver.handle(second, end(taskId, 1));
    expect(receiver.forget(taskId)).toEqual({ text: 'Hello', status: 'complete', from: second, chunks: 1 });
  });

  it('takes nothing more once complete', () => {
    const { receiver, taskId, changes } = expecting();
    receiver.handle(worker, stream(taskId, 0, 'done'));
    receiver.handle(worker, end(taskId, 1));
    receiver.handle(worker, stream(taskId, 1, ' more'));
    receiver.handle(newNodeId(), stream(taskId, 0, 'restart'));
    expect(changes).toHaveLength(2);
    expect(receiver.forget(taskId)).toEqual({ text: 'done', status: 'complete', from: worker, chunks: 1 });
  });
});
