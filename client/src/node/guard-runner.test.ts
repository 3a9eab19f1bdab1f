import {
  MODEL_CATALOG,
  TINY_BERT_ID,
  TINY_GPT2_ID,
  TesseraError,
  findModel,
  fromBase64Url,
  jobIdSchema,
  judgeClaim,
  newNodeId,
  verdictSigningBytes,
  verifyErrorSchema,
  verifyVerdictSchema,
} from '@tessera/shared';
import type { NodeId, TaskOutput, TaskSpec, VerifyAssign, VerifyError, VerifyVerdict } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { ED25519, ephemeralTabIdentity } from '../identity/tab-identity.ts';
import type { TabIdentity } from '../identity/tab-identity.ts';
import { FakeEngine } from '../../test-support/fake-engine.ts';
import { GuardRunner, embeddingAgreement } from './guard-runner.ts';
import type { GuardCheck, VerifySink } from './guard-runner.ts';

type Sent = { event: 'verify:verdict'; payload: VerifyVerdict } | { event: 'verify:error'; payload: VerifyError };

class RecordingSink implements VerifySink {
  readonly sent: Sent[] = [];
  verdict(payload: VerifyVerdict): void {
    this.sent.push({ event: 'verify:verdict', payload });
  }
  verifyError(payload: VerifyError): void {
    this.sent.push({ event: 'verify:error', payload });
  }
  last(): Sent | undefined {
    return this.sent.at(-1);
  }
}

const chatTask: TaskSpec = {
  kind: 'chat',
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content: 'Tessera' }],
  params: { maxTokens: 16, temperature: 0, topP: 1, seed: null, stop: [] },
};
const embeddingsTask: TaskSpec = { kind: 'embeddings', model: TINY_BERT_ID, texts: ['a', 'bcd'] };

/** What FakeEngine itself generates for chatTask: deltas 'Hel', 'lo', ' world' as ids 10, 11, 12, then the end. */
const honestChat: TaskOutput = { kind: 'chat', text: 'Hello world', finishReason: 'stop', tokenIds: [10, 11, 12] };
/** What FakeEngine embeds: [text length, 1, 0] per text. */
const honestVectors: TaskOutput = {
  kind: 'embeddings',
  vectors: [
    [1, 1, 0],
    [3, 1, 0],
  ],
};

function job(task: TaskSpec, claim: TaskOutput): VerifyAssign {
  return { jobId: jobIdSchema.parse(crypto.randomUUID()), leaseMs: 30_000, task, claim };
}

interface Setup {
  engine: FakeEngine;
  sink: RecordingSink;
  guard: GuardRunner;
  checks: GuardCheck[];
  identity: TabIdentity;
  nodeId: NodeId;
}

async function setup(maxConcurrentJobs = 1): Promise<Setup> {
  const engine = new FakeEngine();
  for (const id of [TINY_GPT2_ID, TINY_BERT_ID]) {
    const model = findModel(MODEL_CATALOG, id);
    if (model) await engine.load({ model, backend: 'wasm' });
  }
  const sink = new RecordingSink();
  const checks: GuardCheck[] = [];
  const identity = await ephemeralTabIdentity();
  const nodeId = newNodeId();
  const guard = new GuardRunner({
    engine,
    sink,
    identity,
    nodeId: () => nodeId,
    maxConcurrentJobs,
    ensureModel: async (modelId) => {
      if (!engine.loaded.has(modelId)) throw new TesseraError('model_load_failed', `This tab does not offer ${modelId}.`);
    },
    onUpdate: (check) => checks.push(check),
  });
  return { engine, sink, guard, checks, identity, nodeId };
}

async function verdictOf(setupDone: Setup, assign: VerifyAssign): Promise<VerifyVerdict> {
  await setupDone.guard.assign(assign);
  const sent = setupDone.sink.last();
  if (sent?.event !== 'verify:verdict') throw new Error(`expected a verdict, got ${JSON.stringify(sent)}`);
  expect(verifyVerdictSchema.safeParse(sent.payload).success).toBe(true);
  return sent.payload;
}

describe('GuardRunner', () => {
  it('confirms an honest chat claim with a signed verdict the coordinator can re-derive', async () => {
    const context = await setup();
    const assign = job(chatTask, honestChat);
    const verdict = await verdictOf(context, assign);
    expect(verdict).toMatchObject({
      jobId: assign.jobId,
      verdict: 'valid',
      reason: 'matches the guard',
      evidence: { kind: 'chat', decodedText: 'Hello world' },
    });
    // The coordinator re-derives the verdict from the evidence with the same shared judge.
    expect(judgeClaim(assign.task, assign.claim, verdict.evidence).verdict).toBe('valid');
    const key = await crypto.subtle.importKey('raw', new Uint8Array(fromBase64Url(context.identity.publicKey)), ED25519, true, ['verify']);
    const bytes = verdictSigningBytes({
      nodeId: context.nodeId,
      jobId: assign.jobId,
      verdict: verdict.verdict,
      evidence: verdict.evidence,
    });
    expect(await crypto.subtle.verify(ED25519, key, new Uint8Array(fromBase64Url(verdict.signature)), new Uint8Array(bytes))).toBe(true);
    expect(context.checks.at(-1)).toMatchObject({
      status: 'valid',
      kind: 'chat',
      model: TINY_GPT2_ID,
      units: 3,
      reason: 'matches the guard',
    });
    expect(context.checks.at(-1)?.totalMs).not.toBeNull();
  });

  it('finds a forged token, a truncated answer and made-up text invalid', async () => {
    const context = await setup();
    expect(await verdictOf(context, job(chatTask, { ...honestChat, tokenIds: [10, 99, 12], text: 'Hel? world' }))).toMatchObject({
      verdict: 'invalid',
      reason: expect.stringContaining('token 1 (id 99)'),
    });
    expect(
      await verdictOf(context, job(chatTask, { kind: 'chat', text: 'Hello', finishReason: 'stop', tokenIds: [10, 11] })),
    ).toMatchObject({
      verdict: 'invalid',
      reason: 'stopped early where the model would not end the sequence',
    });
    expect(await verdictOf(context, job(chatTask, { ...honestChat, text: 'Goodbye' }))).toMatchObject({
      verdict: 'invalid',
      reason: 'the text is not the decoding of the claimed tokens',
    });
    expect(context.checks.filter((check) => check.status === 'invalid')).toHaveLength(3);
  });

  it('finds a claim of the wrong kind invalid without running the model', async () => {
    const context = await setup();
    context.engine.failNext = new Error('must not be called');
    expect(await verdictOf(context, job(chatTask, honestVectors))).toMatchObject({
      verdict: 'invalid',
      evidence: { kind: 'chat', scores: [] },
    });
  });

  it("turns a claim no tab could produce into an invalid verdict with the engine's reason", async () => {
    const context = await setup();
    context.engine.failNext = new TesseraError('invalid_request', 'Claimed token 0 (id 99999) is outside the vocabulary of 301.');
    const verdict = await verdictOf(context, job(chatTask, { ...honestChat, tokenIds: [99_999] }));
    expect(verdict).toMatchObject({
      verdict: 'invalid',
      reason: 'Claimed token 0 (id 99999) is outside the vocabulary of 301.',
      evidence: { kind: 'chat', scores: [] },
    });
    expect(judgeClaim(chatTask, { ...honestChat, tokenIds: [99_999] }, verdict.evidence).verdict).toBe('invalid');
  });

  it('compares embeddings by cosine to its own vectors', async () => {
    const context = await setup();
    const valid = await verdictOf(context, job(embeddingsTask, honestVectors));
    expect(valid).toMatchObject({ verdict: 'valid', evidence: { kind: 'embeddings' } });
    if (valid.evidence.kind !== 'embeddings') throw new Error('not embeddings');
    valid.evidence.cosines.forEach((cosine) => expect(cosine).toBeCloseTo(1, 12));
    const forged = await verdictOf(
      context,
      job(embeddingsTask, {
        kind: 'embeddings',
        vectors: [
          [1, 1, 0],
          [0, 0, 1],
        ],
      }),
    );
    expect(forged).toMatchObject({ verdict: 'invalid', evidence: { cosines: [expect.closeTo(1, 12), 0] } });
    const wrongSize = await verdictOf(
      context,
      job(embeddingsTask, {
        kind: 'embeddings',
        vectors: [
          [1, 1],
          [3, 1, 0],
        ],
      }),
    );
    expect(wrongSize).toMatchObject({ verdict: 'invalid', evidence: { cosines: [0, expect.closeTo(1, 12)] } });
  });

  it('reports verify:error, not a verdict, when it cannot check', async () => {
    const context = await setup();
    const notOffered = job({ ...chatTask, model: 'other/model' }, honestChat);
    await context.guard.assign(notOffered);
    expect(context.sink.last()).toEqual({
      event: 'verify:error',
      payload: { jobId: notOffered.jobId, code: 'model_load_failed', message: 'This tab does not offer other/model.' },
    });
    context.engine.failNext = new Error('GPU device lost');
    const broken = job(chatTask, honestChat);
    await context.guard.assign(broken);
    const sent = context.sink.last();
    expect(sent).toEqual({ event: 'verify:error', payload: { jobId: broken.jobId, code: 'inference_failed', message: 'GPU device lost' } });
    expect(verifyErrorSchema.safeParse(sent?.payload).success).toBe(true);
    expect(context.checks.at(-1)).toMatchObject({ status: 'error', reason: 'inference_failed: GPU device lost' });
  });

  it('stops on verify:cancel and sends nothing', async () => {
    const context = await setup();
    context.engine.stepMs = 30;
    const assign = job(chatTask, honestChat);
    const running = context.guard.assign(assign);
    context.guard.cancel(assign.jobId);
    await running;
    expect(context.sink.sent).toEqual([]);
    expect(context.checks.at(-1)?.status).toBe('cancelled');
    expect(context.guard.activeJobIds).toEqual([]);
  });

  it('refuses checks beyond its capacity with a retryable no_capacity', async () => {
    const context = await setup(1);
    context.engine.stepMs = 10;
    const first = job(chatTask, honestChat);
    const second = job(chatTask, honestChat);
    const running = context.guard.assign(first);
    await context.guard.assign(second);
    expect(context.sink.sent).toEqual([
      {
        event: 'verify:error',
        payload: { jobId: second.jobId, code: 'no_capacity', message: 'This guard already runs 1 of at most 1 checks.' },
      },
    ]);
    await running;
    expect(context.sink.last()).toMatchObject({ event: 'verify:verdict', payload: { jobId: first.jobId, verdict: 'valid' } });
  });
});

describe('embeddingAgreement', () => {
  it('is the cosine, 0 for a missing or differently sized vector, and always finite', () => {
    expect(embeddingAgreement([1, 0], [2, 0])).toBeCloseTo(1, 12);
    expect(embeddingAgreement([1, 0], [0, 1])).toBe(0);
    expect(embeddingAgreement([1, 0], undefined)).toBe(0);
    expect(embeddingAgreement([1, 0], [1, 0, 0])).toBe(0);
    expect(embeddingAgreement([1e300, 1e300], [1e300, 1e300])).toBe(0);
  });
});
