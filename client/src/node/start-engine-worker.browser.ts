import { wireError } from '@tessera/shared';
import { EngineProxy } from './engine-proxy.ts';

/** Starts the engine Web Worker and returns the proxy that speaks to it. */
export function startEngineWorker(): EngineProxy {
  const worker = new Worker(new URL('../engine/engine-worker.ts', import.meta.url), { type: 'module', name: 'tessera-engine' });
  const proxy = new EngineProxy(worker);
  worker.addEventListener('error', (event) => {
    proxy.fail(wireError('internal_error', `The engine worker stopped: ${event.message || 'script error'}`));
  });
  worker.addEventListener('messageerror', () => {
    // One reply was lost; its request times out with its task's lease rather than failing every request.
    console.warn('engine worker: a reply could not be deserialized');
  });
  return proxy;
}
