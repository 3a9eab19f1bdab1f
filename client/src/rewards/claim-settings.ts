import { evmAddressSchema, hederaNetworkSchema } from '@tessera/shared';
import type { EvmAddress, HederaNetwork } from '@tessera/shared';
import { z } from 'zod';

/** What a claim needs from the coordinator besides the proof: where the distributor is, and a mirror node. */
export interface ClaimSettings {
  network: HederaNetwork;
  /** The `RewardDistributor`'s EVM address (lowercase); null when the coordinator has none configured. */
  distributorAddress: EvmAddress | null;
  /** Mirror node REST base (no `/api/v1`), to check a claim before sending it and read its outcome; null for none. */
  mirrorNodeUrl: string | null;
}

/** The public mirror nodes; a local network has none we could guess. */
export const PUBLIC_MIRROR_NODE_URLS: Record<HederaNetwork, string | null> = {
  mainnet: 'https://mainnet-public.mirrornode.hedera.com',
  testnet: 'https://testnet.mirrornode.hedera.com',
  local: null,
};

/**
 * The fields of `GET /api/v1/wallet/config` a claim reads, as `ClaimSettings`. `distributorAddress` and
 * `mirrorNodeUrl` are read defensively: a coordinator that does not send them (or sends something
 * else) gives null, and the mirror node then falls back to the network's public one.
 */
export const claimSettingsSchema = z
  .object({
    network: hederaNetworkSchema,
    distributorAddress: z
      .string()
      .transform((address) => address.toLowerCase())
      .pipe(evmAddressSchema)
      .nullable()
      .catch(null),
    mirrorNodeUrl: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .nullable()
      .catch(null),
  })
  .transform((fields): ClaimSettings => ({
    network: fields.network,
    distributorAddress: fields.distributorAddress,
    mirrorNodeUrl: fields.mirrorNodeUrl ?? PUBLIC_MIRROR_NODE_URLS[fields.network],
  }));
