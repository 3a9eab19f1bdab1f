import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from './protocol-version.ts';
import { parseCoordinatorToWorker, parseWorkerToCoordinator } from './socket-messages.ts';

const taskId = '6f1c1d1e-8f0a-4c39-9f0e-3b0d7b6b2a10';

describe('socket message parsing', () => {
  it('accepts a well-formed hello and exposes a typed union', () => {
    const outcome = parseWorkerToCoordinator('worker:hello', [
      {
        protocolVersion: PROTOCOL_VERSION,
        role: 'worker',
        publicKey: 'A'.repeat(43),
        capabilities: {
          userAgent: 'x',
          hardwareConcurrency: 4,
          gpu: null,
          backends: ['wasm'],
          engines: ['transformers'],
          models: [{ id: 'tessera/tiny-gpt2', state: 'loaded', backend: 'wasm' }],
          benchmarkTokensPerSecond: null,
          maxConcurrentTasks: 1,
        },
      },
    ]);
    expect(outcome.ok && outcome.message.event).toBe('worker:hello');
  });

  it.each([
    ['unknown event', 'worker:bye', [{}]],
    ['no payload', 'task:accept', []],
    ['two payloads', 'task:accept', [{ taskId }, {}]],
    ['bad uuid', 'task:accept', [{ taskId: 'abc' }]],
    ['extra field', 'task:accept', [{ taskId, sneaky: true }]],
    ['negative seq', 'task:chunk', [{ taskId, seq: -1, delta: '' }]],
    ['oversized delta', 'task:chunk', [{ taskId, seq: 0, delta: 'x'.repeat(5000) }]],
    ['unknown error code', 'task:error', [{ taskId, code: 'oops', message: '', retryable: false }]],
    ['result of the wrong shape', 'task:result', [{ taskId, output: { kind: 'chat', text: 1 }, usage: {}, timings: {}, signature: null }]],
    ['a string instead of an object', 'worker:heartbeat', ['hi']],
  ])('refuses %s', (_name, event, args) => {
    const outcome = parseWorkerToCoordinator(event, args);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason.length).toBeGreaterThan(3);
  });

  it('parses coordinator messages for the tab', () => {
    const assign = parseCoordinatorToWorker('task:assign', [
      { taskId, leaseMs: 1000, attempt: 1, task: { kind: 'embeddings', model: 'tessera/tiny-bert', texts: ['a'] } },
    ]);
    expect(assign.ok && assign.message.event === 'task:assign' && assign.message.payload.task.kind).toBe('embeddings');
    expect(
      parseCoordinatorToWorker('task:assign', [{ taskId, leaseMs: 1000, attempt: 1, task: { kind: 'embeddings', model: 'm', texts: [] } }])
        .ok,
    ).toBe(false);
  });
});
