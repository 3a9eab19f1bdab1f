import { tierSchema } from '@tessera/shared';
import type { NetworkNode, NetworkSnapshot } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { TIER_EXPLANATIONS, TIER_TONES, checksText, findNode } from './reputation-text.ts';

function node(nodeId: string): NetworkNode {
  return {
    nodeId,
    role: 'worker',
    connectedAt: 0,
    lastSeenAt: 0,
    gpu: null,
    backends: ['wasm'],
    models: [],
    activeTasks: 0,
    maxConcurrentTasks: 1,
    completedTasks: 0,
    failedTasks: 0,
    tokensPerSecond: null,
    keyFingerprint: 'abcd1234',
    reputation: { tier: 'probation', accuracy: 0.5, validChecks: 0, invalidChecks: 0, consecutiveValid: 0, checkProbability: 1 },
    refusedModels: [],
    verdicts: { valid: 0, invalid: 0 },
  };
}

describe('reputation text', () => {
  it('explains every tier with the shared thresholds', () => {
    for (const tier of tierSchema.options) {
      expect(TIER_EXPLANATIONS[tier].length).toBeGreaterThan(20);
      expect(TIER_TONES[tier]).toBeDefined();
    }
    expect(TIER_EXPLANATIONS.probation).toContain('10 checks in a row');
    expect(TIER_EXPLANATIONS.banned).toContain('Caught 3 times');
  });

  it('finds this tab by its node id', () => {
    const snapshot: NetworkSnapshot = {
      nodes: [node('a'), node('b')],
      queue: { queued: 0, assigned: 0, byModel: {} },
      totals: { succeeded: 0, failed: 0, cancelled: 0 },
      verification: { checked: 0, caught: 0, unverifiedForLackOfGuards: 0, uncheckableEngine: 0, pending: 0 },
      throughput: { tasksPerMinute: 0, tokensPerSecond: 0 },
      uptimeSeconds: 1,
    };
    expect(findNode(snapshot, 'b')?.nodeId).toBe('b');
    expect(findNode(snapshot, 'c')).toBeNull();
  });

  it('says accuracy as checks passed, and nothing before the first check', () => {
    expect(checksText({ validChecks: 0, invalidChecks: 0 })).toBe('no checks yet');
    expect(checksText({ validChecks: 1, invalidChecks: 0 })).toBe('1 of 1 check passed');
    expect(checksText({ validChecks: 7, invalidChecks: 2 })).toBe('7 of 9 checks passed');
  });
});
