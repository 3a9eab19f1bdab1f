/**
 * The part of `Worker`, `MessagePort` and a worker's global scope that the engine messages use, so the
 * proxy and the worker handler run unchanged over a `MessageChannel` in tests.
 */
export interface MessageEndpoint {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}
