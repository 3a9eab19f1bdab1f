import { newTaskId, jobIdSchema, newNodeId } from '@tessera/shared';
import type { WorkerToCoordinatorEvent, WorkerToCoordinatorEvents } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { connectionSinks } from './connection-sinks.ts';
import type { CoordinatorSender } from './connection-sinks.ts';

class RecordingSender implements CoordinatorSender {
  readonly sent: { event: WorkerToCoordinatorEvent; payload: unknown }[] = [];
  send<E extends WorkerToCoordinatorEvent>(event: E, ...payload: Parameters<WorkerToCoordinatorEvents[E]>): void {
    this.sent.push({ event, payload: payload[0] });
  }
}

const SIGNATURE = 'A'.repeat(86);

describe('connectionSinks', () => {
  it('sends results that fit the protocol and reports the others as the errors they are', () => {
    const sender = new RecordingSender();
    const { task } = connectionSinks(sender);
    const taskId = newTaskId();
    const usage = { promptTokens: 1, completionTokens: 1 };
    const timings = { firstTokenMs: 1, totalMs: 2 };
    task.result({
      taskId,
      output: { kind: 'chat', text: 'ok', finishReason: 'stop', tokenIds: [1] },
      usage,
      timings,
      signature: SIGNATURE,
    });
    task.result({
      taskId,
      output: { kind: 'chat', text: 'ok', finishReason: 'stop', tokenIds: [1] },
      usage,
      timings,
      signature: 'not a signature',
    });
    expect(sender.sent.map((message) => message.event)).toEqual(['task:result', 'task:error']);
    expect(sender.sent[1]?.payload).toMatchObject({
      taskId,
      code: 'inference_failed',
      retryable: true,
      message: expect.stringContaining('invalid result'),
    });
  });

  it("does the same for verdicts, and maps the peer layer's signals to their events", () => {
    const sender = new RecordingSender();
    const { verify, peer } = connectionSinks(sender);
    const jobId = jobIdSchema.parse(crypto.randomUUID());
    verify.verdict({
      jobId,
      verdict: 'valid',
      reason: 'x'.repeat(501),
      evidence: { kind: 'embeddings', cosines: [1] },
      signature: SIGNATURE,
    });
    const about = newNodeId();
    peer.seekPeers({ modelId: 'tessera/tiny-gpt2' });
    peer.reportPeer({ about, modelId: 'tessera/tiny-gpt2', reason: 'bad bytes' });
    expect(sender.sent).toEqual([
      { event: 'verify:error', payload: { jobId, code: 'inference_failed', message: expect.stringContaining('invalid verdict') } },
      { event: 'peer:seek', payload: { modelId: 'tessera/tiny-gpt2' } },
      { event: 'peer:report', payload: { about, modelId: 'tessera/tiny-gpt2', reason: 'bad bytes' } },
    ]);
  });
});
