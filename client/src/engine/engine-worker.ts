// Entry of the engine Web Worker: inference runs here, off the page's main thread.
import { EngineRouter } from './engine-router.ts';
import { EngineWorkerHandler } from './engine-worker-handler.ts';

const handler = new EngineWorkerHandler(
  self,
  (settings) =>
    new EngineRouter({
      transformers: async () => new (await import('./transformers-engine.browser.ts')).TransformersEngine(settings),
      'web-llm': async () => new (await import('./web-llm-engine.browser.ts')).WebLlmEngine(settings),
    }),
);
handler.start();
