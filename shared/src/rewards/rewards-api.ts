import { z } from 'zod';
import { tierSchema } from '../verification/reputation.ts';
import { amountSchema } from './reward-math.ts';

export const creditStatusSchema = z.enum(['escrow', 'credited', 'slashed', 'settled']);
export type CreditStatus = z.infer<typeof creditStatusSchema>;

export const creditEntrySchema = z.object({
  taskId: z.string(),
  epoch: z.number().int(),
  model: z.string(),
  units: z.string(),
  amount: amountSchema,
  status: creditStatusSchema,
  createdAt: z.number().int(),
});
export type CreditEntry = z.infer<typeof creditEntrySchema>;

/** One epoch's claim for an account: what the contributor sends to `RewardDistributor.claim`. */
export const claimableEpochSchema = z.object({
  epoch: z.number().int(),
  account: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  amount: amountSchema,
  proof: z.array(z.string().regex(/^0x[0-9a-f]{64}$/)),
  root: z.string(),
  /** True once the distributor reports it claimed (or the coordinator saw the claim). */
  claimed: z.boolean(),
  /** False while the root is not on chain yet. */
  posted: z.boolean(),
});
export type ClaimableEpoch = z.infer<typeof claimableEpochSchema>;

export const rewardsViewSchema = z.object({
  publicKey: z.string(),
  tier: tierSchema,
  balances: z.object({
    /** Held until verified or the epoch closes; lost if the tab is caught. */
    escrowed: amountSchema,
    /** Earned, waiting for the epoch to settle. */
    credited: amountSchema,
    /** Settled on chain, not yet claimed. */
    claimable: amountSchema,
    claimed: amountSchema,
    slashed: amountSchema,
  }),
  linkedAccount: z.object({ accountId: z.string(), evmAddress: z.string() }).nullable(),
  epochs: z.array(claimableEpochSchema),
  history: z.array(creditEntrySchema),
});
export type RewardsView = z.infer<typeof rewardsViewSchema>;

export const epochViewSchema = z.object({
  epoch: z.number().int(),
  startedAt: z.number().int(),
  endsAt: z.number().int(),
  status: z.enum(['open', 'closed', 'posted']),
  root: z.string().nullable(),
  total: amountSchema.nullable(),
  accounts: z.number().int(),
  txHash: z.string().nullable(),
  hcsSequence: z.string().nullable(),
});
export type EpochView = z.infer<typeof epochViewSchema>;

export const leaderboardSchema = z.object({
  entries: z.array(
    z.object({
      rank: z.number().int(),
      keyFingerprint: z.string(),
      accountId: z.string().nullable(),
      earned: amountSchema,
      tasks: z.number().int(),
      tier: tierSchema,
    }),
  ),
});
export type Leaderboard = z.infer<typeof leaderboardSchema>;
