/** `@tessera/coordinator/testing`: scripted tabs and guards for tests and benchmarks of other workspaces. */
export { ScriptedTab, capabilitiesFor, isCanary, loaded, newIdentity, type ScriptedTabOptions, type TabIdentity } from './scripted-tab.ts';
export { answerHonestly, echoText, vectorFor } from './honest-answers.ts';
export { echoEvidence, guardHonestly } from './scripted-guard.ts';
export { MirrorNodeServer, type MirrorAccountFixture } from './mirror-node-server.ts';
export { chatOutput, tinyGpt2Tokenizer } from './tiny-tokens.ts';
export { DEV_KEYS, addressOf, deployRewards, startLocalEvm, type DeployedRewards, type LocalEvm } from './local-evm.ts';
export { HcsStandIn, type HcsStandInOptions, type StandInFault, type StandInMessage } from './hcs-stand-in.ts';
export { HubStandIn, type HubRepoFixture, type HubStandInOptions } from './hub-stand-in.ts';
export { freePort } from './free-port.ts';
