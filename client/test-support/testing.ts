/** `@tessera/client/testing`: the tab's own scoring code, run in Node, for other workspaces' tests. */
export { loadLocalCausalLm } from './local-causal-lm.ts';
export { scoreChat } from '../src/engine/chat-scoring.ts';
