/** `@tessera/coordinator/testing`: scripted tabs and guards for tests and benchmarks of other workspaces. */
export { ScriptedTab, capabilitiesFor, isCanary, loaded, newIdentity, type ScriptedTabOptions, type TabIdentity } from './scripted-tab.ts';
export { answerHonestly, echoText, vectorFor } from './honest-answers.ts';
export { echoEvidence, guardHonestly } from './scripted-guard.ts';
export { MirrorNodeServer, type MirrorAccountFixture } from './mirror-node-server.ts';
export { chatOutput, tinyGpt2Tokenizer } from './tiny-tokens.ts';
