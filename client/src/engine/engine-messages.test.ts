import { MODEL_CATALOG, engineReplySchema, engineRequestSchema, wireError } from '@tessera/shared';
import type { EngineReply, EngineRequest } from '@tessera/shared';
import { describe, expect, it } from 'vitest';

/** What postMessage does to a message: a structured clone, here approximated by a JSON round trip. */
function roundTrip(message: unknown): unknown {
  return structuredClone(JSON.parse(JSON.stringify(message)));
}

const model = MODEL_CATALOG[0];
if (model === undefined) throw new Error('empty catalog');

const requests: EngineRequest[] = [
  {
    type: 'engine:configure',
    requestId: 0,
    settings: {
      coordinatorOrigin: 'http://127.0.0.1:8787',
      hubUrl: 'https://hub.example',
      ortBaseUrl: 'http://127.0.0.1:8787/ort/',
      cacheModels: true,
    },
  },
  { type: 'engine:load', requestId: 1, model, backend: 'wasm' },
  {
    type: 'engine:run',
    requestId: 2,
    task: {
      kind: 'chat',
      model: model.id,
      messages: [{ role: 'user', content: 'hi' }],
      params: { maxTokens: 4, temperature: 0, topP: 1, seed: null, stop: ['\n'] },
    },
  },
  { type: 'engine:run', requestId: 3, task: { kind: 'embeddings', model: model.id, texts: ['a', 'b'] } },
  {
    type: 'engine:score',
    requestId: 6,
    task: {
      kind: 'chat',
      model: model.id,
      messages: [{ role: 'user', content: 'hi' }],
      params: { maxTokens: 4, temperature: 0.7, topP: 1, seed: 3, stop: [] },
    },
    tokenIds: [318, 0],
  },
  { type: 'engine:cancel', targetRequestId: 2 },
  { type: 'engine:unload', requestId: 4, modelId: model.id },
  { type: 'engine:list', requestId: 5 },
];

const replies: EngineReply[] = [
  { type: 'engine:configured', requestId: 0 },
  {
    type: 'engine:progress',
    requestId: 1,
    progress: { modelId: model.id, loadedBytes: 10, totalBytes: null, fraction: 0.1, detail: 'fetching config.json' },
  },
  { type: 'engine:loaded', requestId: 1, model: { modelId: model.id, engine: 'transformers', backend: 'wasm', loadMs: 12.5 } },
  { type: 'engine:delta', requestId: 2, delta: ' is' },
  {
    type: 'engine:output',
    requestId: 2,
    output: { kind: 'chat', text: ' is', finishReason: 'length', tokenIds: [318] },
    usage: { promptTokens: 1, completionTokens: 1 },
  },
  {
    type: 'engine:output',
    requestId: 3,
    output: { kind: 'embeddings', vectors: [[0.5, -0.5]] },
    usage: { promptTokens: 3, completionTokens: 0 },
  },
  {
    type: 'engine:scored',
    requestId: 6,
    evidence: {
      kind: 'chat',
      scores: [
        { chosenLogit: 3.25, maxLogit: 3.5, rank: 1, logProb: -0.75, expectedLogProb: -0.9, logProbVariance: 0.3 },
        { chosenLogit: -1, maxLogit: 2, rank: 40, logProb: -6.5, expectedLogProb: -2, logProbVariance: 1.5 },
      ],
      decodedText: ' is!',
      endScore: null,
      promptTokens: 1,
    },
  },
  { type: 'engine:unloaded', requestId: 4 },
  { type: 'engine:listed', requestId: 5, models: [] },
  { type: 'engine:failed', requestId: 2, error: wireError('task_cancelled', 'The run was cancelled.') },
];

describe('engine messages', () => {
  it.each(requests.map((request) => ({ type: request.type, request })))('$type request survives postMessage unchanged', ({ request }) => {
    expect(engineRequestSchema.parse(roundTrip(request))).toEqual(request);
  });

  it.each(replies.map((reply) => ({ type: reply.type, reply })))('$type reply survives postMessage unchanged', ({ reply }) => {
    expect(engineReplySchema.parse(roundTrip(reply))).toEqual(reply);
  });

  it('refuses unknown types, extra fields and errors that are not registry codes', () => {
    expect(engineRequestSchema.safeParse({ type: 'engine:eval', requestId: 0 }).success).toBe(false);
    expect(engineRequestSchema.safeParse({ type: 'engine:list', requestId: 0, extra: true }).success).toBe(false);
    expect(engineRequestSchema.safeParse({ type: 'engine:list', requestId: -1 }).success).toBe(false);
    expect(
      engineReplySchema.safeParse({ type: 'engine:failed', requestId: 0, error: { code: 'Error: boom', message: 'boom', retryable: true } })
        .success,
    ).toBe(false);
    expect(engineReplySchema.safeParse({ type: 'engine:delta', requestId: 0, delta: '' }).success).toBe(false);
    // Only chat outputs are scored, and scores are whole: no NaN logits, no fractional ranks.
    expect(
      engineRequestSchema.safeParse({
        type: 'engine:score',
        requestId: 0,
        task: { kind: 'embeddings', model: model.id, texts: ['a'] },
        tokenIds: [],
      }).success,
    ).toBe(false);
    const score = { chosenLogit: 1, maxLogit: 1, rank: 0, logProb: 0, expectedLogProb: 0, logProbVariance: 0 };
    const scored = (scores: unknown[]): unknown => ({
      type: 'engine:scored',
      requestId: 0,
      evidence: { kind: 'chat', scores, decodedText: '', endScore: null, promptTokens: 1 },
    });
    expect(engineReplySchema.safeParse(scored([score])).success).toBe(true);
    expect(engineReplySchema.safeParse(scored([{ ...score, chosenLogit: Number.NaN }])).success).toBe(false);
    expect(engineReplySchema.safeParse(scored([{ ...score, rank: 0.5 }])).success).toBe(false);
  });
});
