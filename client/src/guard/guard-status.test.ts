import type { NetworkNode } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { guardStatus } from './guard-status.ts';
import type { GuardStatusInput } from './guard-status.ts';

const MODEL = 'tessera/tiny-gpt2';

function node(overrides: Partial<NetworkNode>): NetworkNode {
  return {
    nodeId: 'n',
    role: 'worker',
    connectedAt: 0,
    lastSeenAt: 0,
    gpu: null,
    backends: ['wasm'],
    models: [{ id: MODEL, state: 'loaded', backend: 'wasm' }],
    activeTasks: 0,
    maxConcurrentTasks: 1,
    completedTasks: 0,
    failedTasks: 0,
    tokensPerSecond: null,
    keyFingerprint: 'worker-key',
    reputation: { tier: 'probation', accuracy: 1, validChecks: 0, invalidChecks: 0, consecutiveValid: 0, checkProbability: 1 },
    refusedModels: [],
    verdicts: { valid: 0, invalid: 0 },
    ...overrides,
  };
}

const own = node({ nodeId: 'guard', role: 'guard', keyFingerprint: 'guard-key' });

const serving: GuardStatusInput = {
  role: 'guard',
  identityError: null,
  runtimeState: 'serving',
  consented: true,
  connectionState: 'connected',
  loadedModels: [MODEL],
  checksRunning: 0,
  checksDone: 0,
  own,
  nodes: [own, node({})],
};

const reason = (input: Partial<GuardStatusInput>): string => guardStatus({ ...serving, ...input }).reason;

describe('guardStatus', () => {
  it('says when the tab cannot check at all', () => {
    expect(reason({ role: 'worker' })).toBe('not-a-guard');
    expect(reason({ identityError: 'no Ed25519' })).toBe('no-key');
    expect(reason({ runtimeState: 'error' })).toBe('error');
    expect(reason({ consented: false, runtimeState: 'idle' })).toBe('not-started');
    expect(reason({ connectionState: 'connecting' })).toBe('connecting');
    expect(reason({ loadedModels: [], runtimeState: 'loading' })).toBe('loading');
  });

  it('names a key the coordinator gives no checks to', () => {
    const demoted = { ...own, reputation: { ...own.reputation, tier: 'demoted' as const } };
    const status = guardStatus({ ...serving, own: demoted, nodes: [demoted, node({})] });
    expect(status.reason).toBe('not-allowed');
    expect(status.text).toContain('demoted');
  });

  it('says no worker serves its models, counting only loaded ones of its models', () => {
    expect(reason({ nodes: [own] })).toBe('no-workers');
    expect(reason({ nodes: [own, node({ models: [{ id: 'other/model', state: 'loaded', backend: 'wasm' }] })] })).toBe('no-workers');
    expect(reason({ nodes: [own, node({ models: [{ id: MODEL, state: 'cached', backend: 'wasm' }] })] })).toBe('no-workers');
    expect(guardStatus({ ...serving, nodes: [own] }).text).toContain(MODEL);
  });

  it("says when the only workers are its own key's", () => {
    expect(reason({ nodes: [own, node({ keyFingerprint: 'guard-key' })] })).toBe('own-results');
    expect(reason({ nodes: [own, node({ keyFingerprint: 'guard-key' }), node({ nodeId: 'm' })] })).toBe('waiting-for-sample');
  });

  it('waits for the sample, checks, and says so', () => {
    expect(reason({})).toBe('waiting-for-sample');
    // Before the first read of the network it cannot tell more than that.
    expect(reason({ nodes: null, own: null })).toBe('waiting-for-sample');
    expect(reason({ checksRunning: 1 })).toBe('checking');
    expect(reason({ checksDone: 3 })).toBe('checked');
  });
});
