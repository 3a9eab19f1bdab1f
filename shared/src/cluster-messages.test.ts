import { describe, expect, it } from 'vitest';
import { clusterEnvelopeText, parseClusterEnvelope, type ClusterMessage } from './cluster-messages.ts';
import { newNodeId, newTaskId } from './ids.ts';
import { newPeerSessionId } from './peer/peer-signal.ts';

describe('cluster messages', () => {
  it('round-trips every event through the bytes published on Redis', () => {
    const taskId = newTaskId();
    const [a, b] = [newNodeId(), newNodeId()];
    const messages: ClusterMessage[] = [
      { event: 'task:chunk', payload: { taskId, seq: 3, delta: ' volunteer' } },
      { event: 'task:ended', payload: { taskId, status: 'succeeded' } },
      { event: 'task:ended', payload: { taskId, status: 'failed', error: { code: 'attempts_exhausted', message: 'x', retryable: true } } },
      { event: 'peers:seeders', payload: { byModel: { 'tessera/tiny-gpt2': [a, b] } } },
      { event: 'peer:signal', payload: { to: a, from: b, sessionId: newPeerSessionId(), data: { type: 'offer', sdp: 'v=0' } } },
      { event: 'handoff:moved', payload: { to: 'instance-b', taskId, target: a, directTo: null } },
    ];
    for (const message of messages)
      expect(parseClusterEnvelope(clusterEnvelopeText('instance-a', message))).toEqual({
        ok: true,
        message: { from: 'instance-a', message },
      });
  });

  it('refuses what is not one of the schemas, saying why, and never throws', () => {
    const taskId = newTaskId();
    const refused = (text: string): string => {
      const outcome = parseClusterEnvelope(text);
      if (outcome.ok) throw new Error(`accepted ${text}`);
      return outcome.reason;
    };
    expect(refused('{')).toBe('not JSON');
    expect(refused('null')).toMatch(/^envelope: /);
    expect(refused(JSON.stringify({ event: 'task:ended', payload: { taskId, status: 'succeeded' } }))).toMatch(/^envelope: from/);
    expect(refused(JSON.stringify({ from: 'a', event: 'worker:hello', payload: {} }))).toBe("unknown event 'worker:hello'");
    expect(refused(JSON.stringify({ from: 'a', event: 'task:ended', payload: { taskId, status: 'running' } }))).toMatch(/^status: /);
    expect(refused(JSON.stringify({ from: 'a', event: 'task:chunk', payload: { taskId, seq: -1, delta: '' } }))).toMatch(/^seq: /);
    expect(refused(JSON.stringify({ from: 'a'.repeat(101), event: 'task:chunk', payload: {} }))).toMatch(/^envelope: from/);
    // Nine seeders of one model is more than any instance names.
    const nine = Array.from({ length: 9 }, () => newNodeId());
    expect(refused(JSON.stringify({ from: 'a', event: 'peers:seeders', payload: { byModel: { m: nine } } }))).toMatch(/^byModel/);
    expect(refused(JSON.stringify({ from: 'a', event: 'peer:introduce', payload: { local: 'me', remote: nine[0] } }))).toMatch(/^local: /);
  });
});
