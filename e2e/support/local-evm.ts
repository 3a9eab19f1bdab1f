// The local EVM node and the reward contracts' deployment live with the coordinator's test support, which
// its settlement tests share.
export { DEV_KEYS, addressOf, deployRewards, startLocalEvm, type DeployedRewards, type LocalEvm } from '@tessera/coordinator/testing';
