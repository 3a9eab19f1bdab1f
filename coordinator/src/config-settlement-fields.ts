import { z } from 'zod';

/**
 * The rewards and settlement settings (epochs, the EVM contract, Hedera, wallet linking): part of
 * `CONFIG_FIELDS`, kept apart so the table stays readable.
 */
export const SETTLEMENT_CONFIG_FIELDS = {
  epochLengthMs: {
    env: 'TESSERA_EPOCH_LENGTH_MS',
    help: 'length of a reward epoch',
    schema: z.coerce.number().int().min(1000).default(3_600_000),
  },
  rewardPerUnit: {
    env: 'TESSERA_REWARD_PER_UNIT',
    help: 'smallest token units paid per generated token or embedded input, before multipliers',
    schema: z.string().regex(/^\d+$/).default('1000'),
  },
  evmRpcUrl: {
    env: 'TESSERA_EVM_RPC_URL',
    help: 'JSON-RPC endpoint for settlement (Hedera JSON-RPC relay; a local node in development); empty: no settlement on chain',
    schema: z.string().default(''),
  },
  rewardDistributorAddress: {
    env: 'TESSERA_REWARD_DISTRIBUTOR',
    help: 'address of the RewardDistributor contract',
    schema: z
      .string()
      .regex(/^(0x[0-9a-fA-F]{40})?$/)
      .default(''),
  },
  settlementPrivateKey: {
    env: 'TESSERA_SETTLEMENT_KEY',
    help: 'hex private key holding the distributor poster role (secret; never logged)',
    schema: z
      .string()
      .regex(/^(0x[0-9a-fA-F]{64})?$/)
      .default(''),
  },
  hederaNetwork: {
    env: 'TESSERA_HEDERA_NETWORK',
    help: 'testnet, mainnet or local',
    schema: z.enum(['testnet', 'mainnet', 'local']).default('testnet'),
  },
  hederaOperatorId: {
    env: 'TESSERA_HEDERA_OPERATOR_ID',
    help: 'Hedera account that pays for HCS messages (0.0.N); empty: HCS summaries skipped',
    schema: z.string().default(''),
  },
  hederaOperatorKey: {
    env: 'TESSERA_HEDERA_OPERATOR_KEY',
    help: "that account's DER private key (secret; never logged)",
    schema: z.string().default(''),
  },
  hcsTopicId: { env: 'TESSERA_HCS_TOPIC_ID', help: 'HCS topic for epoch summaries (0.0.N)', schema: z.string().default('') },
  hederaNodes: {
    env: 'TESSERA_HEDERA_NODES',
    help: 'consensus nodes HCS summaries go to when TESSERA_HEDERA_NETWORK=local, as host:port=account[,…]',
    schema: z
      .string()
      .regex(/^\s*[^\s=,]+:\d+=\d+\.\d+\.\d+\s*(,\s*[^\s=,]+:\d+=\d+\.\d+\.\d+\s*)*$/, 'give host:port=0.0.N[,host:port=0.0.N…]')
      .default('127.0.0.1:50211=0.0.3'),
  },
  newAccountEpochCap: {
    env: 'TESSERA_NEW_ACCOUNT_EPOCH_CAP',
    help: 'most smallest token units an account without history is paid per epoch; the rest stays credited for later epochs (0: no cap)',
    schema: z.string().regex(/^\d+$/).default('1000000000'),
  },
  newAccountEpochs: {
    env: 'TESSERA_NEW_ACCOUNT_EPOCHS',
    help: 'epochs an account must have been paid in (its history) before its payouts are no longer capped',
    schema: z.coerce.number().int().min(0).default(3),
  },
  mirrorNodeUrl: {
    env: 'TESSERA_MIRROR_NODE_URL',
    help: 'mirror node REST base URL; empty: the public one of testnet or mainnet (local needs one)',
    schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  },
  mirrorNodeTimeoutMs: {
    env: 'TESSERA_MIRROR_NODE_TIMEOUT_MS',
    help: 'how long a wallet link waits for the mirror node',
    schema: z.coerce.number().int().min(100).default(5_000),
  },
  walletChallengeTtlMs: {
    env: 'TESSERA_WALLET_CHALLENGE_TTL_MS',
    help: 'how long a wallet link challenge can be signed',
    schema: z.coerce.number().int().min(10_000).max(3_600_000).default(300_000),
  },
  walletConnectProjectId: {
    env: 'TESSERA_WALLETCONNECT_PROJECT_ID',
    help: 'WalletConnect project id for HashPack pairing on the volunteer page (empty: off)',
    schema: z.string().trim().max(200).default(''),
  },
} as const;
