import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, findModel, newNodeId, newTaskId } from '@tessera/shared';
import type { TaskSpec, Tier } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import type { TaskRecord, TaskResultRecord } from '../tasks/task-record.ts';
import { creditPolicy } from './credit-policy.ts';

const spec: TaskSpec = {
  kind: 'chat',
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content: 'hi' }],
  params: { maxTokens: 16, temperature: 0, topP: 1, seed: null, stop: [] },
};
const record: TaskRecord = {
  id: newTaskId(),
  api: 'chat.completion',
  spec,
  status: 'succeeded',
  priority: 10,
  attempts: 1,
  maxAttempts: 3,
  nodeId: null,
  leaseExpiresAt: null,
  createdAt: 0,
  deadlineAt: 1,
  minTier: null,
  cancelTokenHash: null,
  finishedAt: 1,
  result: null,
  error: null,
};
function chatResult(check: TaskResultRecord['check'], completionTokens = 12): TaskResultRecord {
  return {
    output: { kind: 'chat', text: 'x', finishReason: 'length', tokenIds: [1] },
    usage: { promptTokens: 99, completionTokens },
    timings: { firstTokenMs: 1, totalMs: 2 },
    nodeId: newNodeId(),
    check,
  };
}
function credit(tier: Tier, result: TaskResultRecord, taskRecord: TaskRecord = record) {
  return creditPolicy({ record: taskRecord, result, publicKey: 'key', tier, catalog: MODEL_CATALOG, ratePerUnit: 1000n });
}

describe('creditPolicy', () => {
  it('pays generated tokens, never the prompt, at the model multiplier and tier multiplier', () => {
    const multiplier = findModel(MODEL_CATALOG, TINY_GPT2_ID)?.rewardMultiplier ?? 0;
    const trusted = credit('trusted', chatResult('unchecked'));
    expect(trusted.units).toBe(12n);
    expect(trusted.amount).toBe(BigInt(Math.round(12 * 1000 * multiplier)));
    expect(credit('veteran', chatResult('unchecked')).amount).toBe((trusted.amount * 1200n) / 1000n);
    expect(credit('demoted', chatResult('passed')).amount).toBe(trusted.amount / 2n);
    expect(credit('banned', chatResult('passed')).amount).toBe(0n);
  });

  it('counts embedded inputs as the units of an embeddings result', () => {
    const embedSpec: TaskSpec = { kind: 'embeddings', model: TINY_BERT_ID, texts: ['a', 'b', 'c'] };
    const result: TaskResultRecord = {
      output: { kind: 'embeddings', vectors: [[1], [1], [1]] },
      usage: { promptTokens: 9, completionTokens: 0 },
      timings: { firstTokenMs: null, totalMs: 2 },
      nodeId: newNodeId(),
      check: 'unchecked',
    };
    expect(credit('trusted', result, { ...record, spec: embedSpec }).units).toBe(3n);
  });

  it('pays work no guard can check (web-llm) at most the probation rate, always in escrow', () => {
    const webLlm = { ...record, spec: { ...spec, model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC' } };
    const veteran = credit('veteran', chatResult('unverified'), webLlm);
    const probation = credit('probation', chatResult('unverified'), webLlm);
    expect(veteran.amount).toBe(probation.amount);
    expect(veteran.escrow).toBe(true);
    expect(credit('demoted', chatResult('unverified'), webLlm).amount).toBe(probation.amount / 2n);
  });

  it('holds every result no guard confirmed in escrow, whatever the tier', () => {
    expect(credit('probation', chatResult('unchecked')).escrow).toBe(true);
    expect(credit('demoted', chatResult('unverified')).escrow).toBe(true);
    expect(credit('probation', chatResult('passed')).escrow).toBe(false);
    expect(credit('trusted', chatResult('unchecked')).escrow).toBe(true);
    expect(credit('veteran', chatResult('unverified')).escrow).toBe(true);
    expect(credit('veteran', chatResult('passed')).escrow).toBe(false);
  });
});
