import { epochViewSchema, leaderboardSchema, publicKeySchema, rewardsViewSchema, tierOf } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReputationBook } from '../reputation/reputation-book.ts';
import type { AccountDirectory, EvmAddress } from './account-directory.ts';
import { crashPoint } from './crash-point.ts';
import type { Ledger } from './ledger.ts';
import type { RewardChain } from './reward-chain.ts';

export interface RewardsRouteContext {
  ledger: Ledger;
  accounts: AccountDirectory;
  reputation: ReputationBook;
  chain: RewardChain | undefined;
}

/** Balances, history and claims per contributor; epochs; a leaderboard. Amounts are decimal strings. */
export const rewardsRoutes: FastifyPluginAsync<RewardsRouteContext> = async (app, context) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/api/v1/rewards/:publicKey',
    {
      schema: {
        tags: ['Rewards'],
        summary: "A contributor's credit (escrowed, credited, claimable, claimed), history and claims with Merkle proofs",
        params: z.object({ publicKey: publicKeySchema }),
        response: { 200: rewardsViewSchema },
      },
    },
    async (request) => {
      const { publicKey } = request.params;
      const linked = context.accounts.linkedAccount(publicKey);
      const epochs = linked === undefined ? [] : context.ledger.claims(linked.evmAddress);
      // Claims happen on chain, straight from the wallet: ask the distributor about the open ones.
      if (context.chain !== undefined && linked !== undefined) {
        for (const claim of epochs.filter((entry) => entry.posted && !entry.claimed)) {
          if (await context.chain.isClaimed(claim.epoch, claim.account as EvmAddress).catch(() => false)) {
            // The chain is the record of claims; a crash here loses nothing, the next request asks again.
            crashPoint('mid-claim');
            context.ledger.markClaimed(claim.epoch, claim.account);
            claim.claimed = true;
          }
        }
      }
      const balances = context.ledger.balances(publicKey, linked?.evmAddress);
      return {
        publicKey,
        tier: tierOf(context.reputation.get(publicKey)),
        balances: {
          escrowed: balances.escrowed.toString(),
          credited: balances.credited.toString(),
          claimable: balances.claimable.toString(),
          claimed: balances.claimed.toString(),
          slashed: balances.slashed.toString(),
        },
        linkedAccount: linked === undefined ? null : { accountId: linked.accountId, evmAddress: linked.evmAddress },
        epochs,
        history: context.ledger.history(publicKey),
      };
    },
  );

  typed.get(
    '/api/v1/epochs',
    {
      schema: {
        tags: ['Rewards'],
        summary: 'Reward epochs, newest first',
        response: { 200: z.object({ epochs: z.array(epochViewSchema) }) },
      },
    },
    async () => {
      context.ledger.currentEpoch();
      return { epochs: context.ledger.epochs() };
    },
  );

  typed.get(
    '/api/v1/leaderboard',
    { schema: { tags: ['Rewards'], summary: 'Contributors by credit earned', response: { 200: leaderboardSchema } } },
    async () => ({
      entries: context.ledger.leaderboard().map((entry, index) => ({
        rank: index + 1,
        keyFingerprint: entry.publicKey.slice(0, 12),
        accountId: context.accounts.linkedAccount(entry.publicKey)?.accountId ?? null,
        earned: entry.earned.toString(),
        tasks: entry.tasks,
        tier: tierOf(context.reputation.get(entry.publicKey)),
      })),
    }),
  );
};
