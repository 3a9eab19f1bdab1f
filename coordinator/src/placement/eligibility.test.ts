import { TINY_GPT2_ID, nodeIdSchema } from '@tessera/shared';

import { describe, expect, it } from 'vitest';
import { catalogEntry } from '../../test/support/catalog-entry.ts';
import { mayCheck, mayWork, type PlacementCandidate } from './eligibility.ts';

const tiny = catalogEntry(TINY_GPT2_ID);
const webLlm = catalogEntry('Qwen2.5-0.5B-Instruct-q4f16_1-MLC');

const worker: PlacementCandidate = {
  nodeId: nodeIdSchema.parse('00000000-0000-4000-8000-000000000001'),
  tier: 'trusted',
  role: 'worker',
  models: new Map([[TINY_GPT2_ID, { id: TINY_GPT2_ID, state: 'loaded', backend: 'wasm' }]]),
  gpu: null,
  activeTaskCount: 0,
  maxConcurrentTasks: 1,
  tokensPerSecond: null,
  lastAssignedAt: 0,
};

describe('mayWork', () => {
  it('lets a free worker serving the model take it', () => {
    expect(mayWork(worker, tiny)).toBe(true);
  });

  it.each<[string, Partial<PlacementCandidate>]>([
    ['a guard', { role: 'guard' }],
    ['a requester', { role: 'requester' }],
    ['a banned tab', { tier: 'banned' }],
    ['a full tab', { activeTaskCount: 1 }],
    ['a tab without the model', { models: new Map() }],
    ['a tab offering a web-llm model on WASM', { models: new Map([[webLlm.id, { id: webLlm.id, state: 'loaded', backend: 'wasm' }]]) }],
  ])('refuses %s', (_name, change) => {
    const candidate = { ...worker, ...change };
    expect(mayWork(candidate, change.models?.has(webLlm.id) === true ? webLlm : tiny)).toBe(false);
  });
});

describe('mayCheck', () => {
  it('lets a guard check anyone but itself, unless it is banned', () => {
    expect(mayCheck({ role: 'guard', publicKey: 'g', tier: 'trusted' }, 'w')).toBe(true);
    expect(mayCheck({ role: 'guard', publicKey: 'w', tier: 'trusted' }, 'w')).toBe(false);
    expect(mayCheck({ role: 'guard', publicKey: 'g', tier: 'banned' }, 'w')).toBe(false);
    expect(mayCheck({ role: 'worker', publicKey: 'g', tier: 'trusted' }, 'w')).toBe(false);
  });
});
