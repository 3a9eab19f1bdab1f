import { TINY_GPT2_ID, newNodeId, newTaskId } from '@tessera/shared';
import type { TaskStatus } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import type { TaskRecord, TaskResultRecord } from './task-record.ts';
import { applyTaskChange, type TaskChange } from './task-transitions.ts';

const tab = newNodeId();
const peer = newNodeId();
const result: TaskResultRecord = {
  output: { kind: 'chat', text: 'ok', finishReason: 'stop', tokenIds: [1] },
  usage: { promptTokens: 1, completionTokens: 1 },
  timings: { firstTokenMs: 1, totalMs: 2 },
  nodeId: tab,
  check: 'unchecked',
};

function record(status: TaskStatus, nodeId: TaskRecord['nodeId'] = status === 'assigned' ? tab : null): TaskRecord {
  return {
    id: newTaskId(),
    api: 'chat.completion',
    spec: {
      kind: 'chat',
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: 'hi' }],
      params: { maxTokens: 4, temperature: 0, topP: 1, seed: null, stop: [] },
    },
    status,
    priority: 10,
    attempts: status === 'queued' ? 0 : 1,
    maxAttempts: 3,
    nodeId,
    leaseExpiresAt: status === 'assigned' ? 100 : null,
    createdAt: 0,
    deadlineAt: 1000,
    minTier: null,
    cancelTokenHash: null,
    finishedAt: null,
    result: null,
    error: null,
  };
}

const changes: Record<TaskChange['type'], TaskChange> = {
  assign: { type: 'assign', nodeId: tab, leaseExpiresAt: 200 },
  renew: { type: 'renew', leaseExpiresAt: 300 },
  move: { type: 'move', from: tab, to: peer, leaseExpiresAt: 400 },
  requeue: { type: 'requeue' },
  succeed: { type: 'succeed', result, at: 50 },
  fail: { type: 'fail', error: { code: 'lease_expired', message: 'late', retryable: true }, at: 60 },
  cancel: { type: 'cancel', at: 70 },
};

/** Which changes each state allows; everything else must be refused. */
const allowed: Record<TaskStatus, TaskChange['type'][]> = {
  queued: ['assign', 'fail', 'cancel'],
  assigned: ['renew', 'move', 'requeue', 'succeed', 'fail', 'cancel'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

describe('applyTaskChange', () => {
  for (const [status, types] of Object.entries(allowed) as [TaskStatus, TaskChange['type'][]][]) {
    for (const type of Object.keys(changes) as TaskChange['type'][]) {
      const verb = types.includes(type) ? 'allows' : 'refuses';
      it(`${verb} ${type} from ${status}`, () => {
        const next = applyTaskChange(record(status), changes[type]);
        expect(next !== undefined).toBe(types.includes(type));
      });
    }
  }

  it('counts an attempt on assignment and frees the task on requeue', () => {
    const assigned = applyTaskChange(record('queued'), changes.assign);
    expect(assigned).toMatchObject({ status: 'assigned', nodeId: tab, attempts: 1, leaseExpiresAt: 200 });
    const requeued = assigned === undefined ? undefined : applyTaskChange(assigned, changes.requeue);
    expect(requeued).toMatchObject({ status: 'queued', nodeId: null, attempts: 1, leaseExpiresAt: null });
  });

  it('moves a task only from the tab that holds it, on the same attempt', () => {
    expect(applyTaskChange(record('assigned', peer), changes.move)).toBeUndefined();
    expect(applyTaskChange(record('assigned'), changes.move)).toMatchObject({ nodeId: peer, attempts: 1, leaseExpiresAt: 400 });
  });

  it('ends with no lease and the time it ended', () => {
    expect(applyTaskChange(record('assigned'), changes.succeed)).toMatchObject({
      status: 'succeeded',
      result,
      finishedAt: 50,
      leaseExpiresAt: null,
    });
    expect(applyTaskChange(record('queued'), changes.cancel)).toMatchObject({ status: 'cancelled', finishedAt: 70, leaseExpiresAt: null });
  });

  it('lifts a lease while guards check the result, without leaving assigned', () => {
    expect(applyTaskChange(record('assigned'), { type: 'renew', leaseExpiresAt: null })).toMatchObject({
      status: 'assigned',
      leaseExpiresAt: null,
    });
  });
});
