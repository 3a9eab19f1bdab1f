import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, TesseraError, findModel } from '@tessera/shared';
import type { ChatTaskSpec, EngineSettings, LoadProgress, ModelCatalogEntry } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineProxy } from './engine-proxy.ts';
import { EngineWorkerHandler } from '../engine/engine-worker-handler.ts';
import { FakeEngine } from '../../test-support/fake-engine.ts';

const settings: EngineSettings = {
  coordinatorOrigin: 'http://127.0.0.1:8787',
  hubUrl: 'https://hub.example',
  ortBaseUrl: 'http://127.0.0.1:8787/ort/',
  cacheModels: false,
};

function entry(id: string): ModelCatalogEntry {
  const found = findModel(MODEL_CATALOG, id);
  if (found === undefined) throw new Error(`catalog lacks ${id}`);
  return found;
}

function chat(maxTokens = 16): ChatTaskSpec {
  return {
    kind: 'chat',
    model: TINY_GPT2_ID,
    messages: [{ role: 'user', content: 'Tessera' }],
    params: { maxTokens, temperature: 0, topP: 1, seed: null, stop: [] },
  };
}

/** A real MessageChannel between the proxy and the handler: messages are structured-cloned as in a tab. */
function connect(engine: FakeEngine): { proxy: EngineProxy; workerPort: MessagePort; pagePort: MessagePort; close: () => void } {
  const channel = new MessageChannel();
  const handler = new EngineWorkerHandler(channel.port2, () => engine);
  handler.start();
  channel.port2.start();
  const proxy = new EngineProxy(channel.port1);
  channel.port1.start();
  return {
    proxy,
    workerPort: channel.port2,
    pagePort: channel.port1,
    close: () => {
      handler.stop();
      proxy.dispose();
      channel.port1.close();
      channel.port2.close();
    },
  };
}

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('EngineProxy over the engine worker messages', () => {
  it('configures, loads with progress, generates with deltas, embeds, lists and unloads', async () => {
    const engine = new FakeEngine();
    const { proxy, close } = connect(engine);
    cleanup = close;
    await proxy.configure(settings);

    const progress: LoadProgress[] = [];
    const loaded = await proxy.load({ model: entry(TINY_GPT2_ID), backend: 'wasm', onProgress: (p) => progress.push(p) });
    expect(loaded).toMatchObject({ modelId: TINY_GPT2_ID, engine: 'transformers', backend: 'wasm' });
    expect(progress.at(-1)?.fraction).toBe(1);

    const deltas: string[] = [];
    const run = await proxy.generate({ task: chat(), onDelta: (delta) => deltas.push(delta) });
    expect(deltas).toEqual(['Hel', 'lo', ' world']);
    expect(run.output).toEqual({ kind: 'chat', text: 'Hello world', finishReason: 'stop', tokenIds: [10, 11, 12] });
    expect(run.usage).toEqual({ promptTokens: 3, completionTokens: 3 });

    await proxy.load({ model: entry(TINY_BERT_ID), backend: 'wasm' });
    const embedded = await proxy.embed({ task: { kind: 'embeddings', model: TINY_BERT_ID, texts: ['a', 'bcd'] } });
    expect(embedded.output).toEqual({
      kind: 'embeddings',
      vectors: [
        [1, 1, 0],
        [3, 1, 0],
      ],
    });

    expect((await proxy.listLoaded()).map((model) => model.modelId).sort()).toEqual([TINY_BERT_ID, TINY_GPT2_ID]);
    await proxy.unload(TINY_BERT_ID);
    expect((await proxy.listLoaded()).map((model) => model.modelId)).toEqual([TINY_GPT2_ID]);
  });

  it('scores claimed tokens through engine:score and engine:scored', async () => {
    const engine = new FakeEngine();
    const { proxy, close } = connect(engine);
    cleanup = close;
    await proxy.configure(settings);
    await proxy.load({ model: entry(TINY_GPT2_ID), backend: 'wasm' });
    const evidence = await proxy.score({ task: chat(), tokenIds: [10, 11, 12] });
    expect(evidence).toMatchObject({ kind: 'chat', decodedText: 'Hello world', endScore: { rank: 0 }, promptTokens: 3 });
    expect(evidence.scores.map((score) => score.rank)).toEqual([0, 0, 0]);

    engine.stepMs = 30;
    const controller = new AbortController();
    const cancelled = proxy.score({ task: chat(), tokenIds: [10], signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'task_cancelled' });

    engine.failNext = new TesseraError('invalid_request', 'Claimed token 0 (id 99999) is outside the vocabulary of 301.');
    await expect(proxy.score({ task: chat(), tokenIds: [99_999] })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('carries errors as registry codes, not strings', async () => {
    const engine = new FakeEngine();
    const { proxy, close } = connect(engine);
    cleanup = close;
    await proxy.configure(settings);

    const notLoaded = proxy.generate({ task: chat() });
    await expect(notLoaded).rejects.toBeInstanceOf(TesseraError);
    await expect(notLoaded).rejects.toMatchObject({ code: 'model_load_failed' });

    engine.failNext = new Error('WebAssembly.Memory(): could not allocate memory');
    await expect(proxy.load({ model: entry(TINY_GPT2_ID), backend: 'wasm' })).rejects.toMatchObject({
      code: 'model_load_failed',
      message: 'WebAssembly.Memory(): could not allocate memory',
    });
  });

  it('cancels a run through its abort signal', async () => {
    const engine = new FakeEngine();
    engine.deltas = Array.from({ length: 50 }, (_, i) => `t${i}`);
    engine.stepMs = 5;
    const { proxy, close } = connect(engine);
    cleanup = close;
    await proxy.configure(settings);
    await proxy.load({ model: entry(TINY_GPT2_ID), backend: 'wasm' });

    const controller = new AbortController();
    const deltas: string[] = [];
    const run = proxy.generate({
      task: chat(50),
      signal: controller.signal,
      onDelta: (delta) => {
        deltas.push(delta);
        if (deltas.length === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'task_cancelled' });
    expect(deltas.length).toBeLessThan(50);
  });

  it('answers a malformed request with protocol_violation and ignores malformed replies', async () => {
    const engine = new FakeEngine();
    const { proxy, pagePort, workerPort, close } = connect(engine);
    cleanup = close;
    await proxy.configure(settings);

    const reply = new Promise<unknown>((resolve) => {
      pagePort.addEventListener('message', (event) => resolve(event.data), { once: true });
    });
    pagePort.postMessage({ type: 'engine:load', requestId: 999, model: { id: 'x' }, backend: 'cuda' });
    expect(await reply).toEqual({
      type: 'engine:failed',
      requestId: 999,
      error: { code: 'protocol_violation', message: 'Malformed engine request.', retryable: false },
    });

    // A forged reply for a pending request must not resolve it with garbage.
    const listing = proxy.listLoaded();
    // Request ids count from 0 per proxy: configure was 0, this listing is 1.
    workerPort.postMessage({ type: 'engine:listed', requestId: 1, models: 'everything' });
    expect(await listing).toEqual([]);
  });

  it('fails every pending and later call once the worker died', async () => {
    const engine = new FakeEngine();
    engine.stepMs = 50;
    const { proxy, close } = connect(engine);
    cleanup = close;
    await proxy.configure(settings);
    await proxy.load({ model: entry(TINY_GPT2_ID), backend: 'wasm' });
    const pending = proxy.generate({ task: chat() });
    proxy.fail({ code: 'internal_error', message: 'The engine worker stopped: out of memory', retryable: true });
    await expect(pending).rejects.toMatchObject({ code: 'internal_error' });
    await expect(proxy.listLoaded()).rejects.toMatchObject({ code: 'internal_error' });
  });

  it('needs engine:configure before anything else', async () => {
    const { proxy, close } = connect(new FakeEngine());
    cleanup = close;
    await expect(proxy.listLoaded()).rejects.toMatchObject({ code: 'protocol_violation' });
    await proxy.configure(settings);
    await expect(proxy.configure(settings)).rejects.toMatchObject({ code: 'protocol_violation' });
  });
});
