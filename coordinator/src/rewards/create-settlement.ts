import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { CoordinatorConfig } from '../config.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import { resolveMirrorNodeUrl } from '../wallet/wallet-link-service.ts';
import type { AccountDirectory, EvmAddress } from './account-directory.ts';
import { EpochSettler } from './epoch-settler.ts';
import { createHttpHcsMirrorLookup } from './hcs-mirror-lookup.ts';
import { createSdkHcsPublisher, parseHederaNodes, type HcsPublisher } from './hcs-publisher.ts';
import type { Ledger } from './ledger.ts';
import { createViemRewardChain, type RewardChain } from './reward-chain.ts';
import { SettlementJournal } from './settlement-journal.ts';
import { SettlementMetrics } from './settlement-metrics.ts';

export interface Settlement {
  chain: RewardChain | undefined;
  hcs: HcsPublisher | undefined;
  settler: EpochSettler;
}

/**
 * Settlement's parts from the configuration: the distributor over JSON-RPC when an RPC URL, a distributor
 * and a poster key are set; the HCS publisher when an operator and a topic are (on `testnet`, `mainnet`, or
 * the nodes of `TESSERA_HEDERA_NODES` for `local`); the settler loop over both.
 */
export async function createSettlement(options: {
  config: CoordinatorConfig;
  db: SqlDatabase;
  ledger: Ledger;
  accounts: AccountDirectory;
  registry: Registry;
  logger: FastifyBaseLogger;
  /** Whether this instance settles for the network now (scale-out: the leader only). */
  leads?: () => boolean;
}): Promise<Settlement> {
  const { config, logger } = options;
  const chain =
    config.evmRpcUrl !== '' && config.rewardDistributorAddress !== '' && config.settlementPrivateKey !== ''
      ? await createViemRewardChain({
          rpcUrl: config.evmRpcUrl,
          distributorAddress: config.rewardDistributorAddress as EvmAddress,
          privateKey: config.settlementPrivateKey as EvmAddress,
        })
      : undefined;
  const mirrorUrl = resolveMirrorNodeUrl(config.hederaNetwork, config.mirrorNodeUrl);
  const hcs =
    config.hederaOperatorId !== '' && config.hederaOperatorKey !== '' && config.hcsTopicId !== ''
      ? createSdkHcsPublisher({
          network: config.hederaNetwork,
          nodes: config.hederaNetwork === 'local' ? parseHederaNodes(config.hederaNodes) : undefined,
          operatorId: config.hederaOperatorId,
          operatorKey: config.hederaOperatorKey,
          topicId: config.hcsTopicId,
          mirror: mirrorUrl === null ? undefined : createHttpHcsMirrorLookup({ baseUrl: mirrorUrl, timeoutMs: config.mirrorNodeTimeoutMs }),
        })
      : undefined;
  const settler = new EpochSettler({
    ledger: options.ledger,
    journal: new SettlementJournal(options.db),
    directory: options.accounts,
    chain,
    hcs,
    metrics: new SettlementMetrics(options.registry),
    leads: options.leads,
    logger,
    intervalMs: Math.min(5000, Math.max(250, config.epochLengthMs / 10)),
  });
  return { chain, hcs, settler };
}
