/** `@tessera/client/testing`: the tab's own scoring code, run in Node, for other workspaces' tests. */
export { loadLocalCausalLm } from './local-causal-lm.node.ts';
export { scoreChat } from './chat-scoring.ts';
