import { z } from 'zod';
import { nodeIdSchema } from '../ids.ts';

/** Longest SDP accepted in a signal; a data-channel-only offer is about 1 KB. */
export const MAX_SDP_CHARS = 64 * 1024;
/** Most seeders the coordinator introduces for one `peer:seek`. */
export const MAX_SEEDERS_PER_SEEK = 8;

/**
 * One WebRTC link between two tabs, chosen by the initiator (`crypto.randomUUID()`); both ends route
 * signals by it, so two links between the same pair (or a retry after a failure) never mix.
 */
export const peerSessionIdSchema = z.uuid().brand<'PeerSessionId'>();
export type PeerSessionId = z.infer<typeof peerSessionIdSchema>;

export function newPeerSessionId(): PeerSessionId {
  return peerSessionIdSchema.parse(crypto.randomUUID());
}

/**
 * What simple-peer emits on `signal` for a data-channel-only link: an offer, an answer, or one trickled
 * ICE candidate. Renegotiation and transceiver requests (media) are refused: Tessera links carry data only.
 */
export const peerSignalDataSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('offer'), sdp: z.string().min(1).max(MAX_SDP_CHARS) }),
  z.strictObject({ type: z.literal('answer'), sdp: z.string().min(1).max(MAX_SDP_CHARS) }),
  z.strictObject({
    type: z.literal('candidate'),
    candidate: z.strictObject({
      candidate: z.string().max(2048),
      sdpMLineIndex: z.number().int().min(0).max(255).nullable(),
      sdpMid: z.string().max(64).nullable(),
    }),
  }),
]);
export type PeerSignalData = z.infer<typeof peerSignalDataSchema>;

/** `peer:signal`, tab → coordinator: pass `data` to tab `to`. The coordinator stamps the sender. */
export const peerSignalSchema = z.strictObject({
  to: nodeIdSchema,
  sessionId: peerSessionIdSchema,
  data: peerSignalDataSchema,
});
export type PeerSignal = z.infer<typeof peerSignalSchema>;

/** `peer:signal`, coordinator → tab: `from` is the sender's node id as the coordinator knows it. */
export const peerSignalRelayedSchema = peerSignalSchema.extend({ from: nodeIdSchema });
export type PeerSignalRelayed = z.infer<typeof peerSignalRelayedSchema>;

/** `peer:seek`, tab → coordinator: introduce me to tabs that have this model's files. */
export const peerSeekSchema = z.strictObject({ modelId: z.string().min(1).max(200) });
export type PeerSeek = z.infer<typeof peerSeekSchema>;

/**
 * `peer:seeders`, coordinator → tab: the answer to `peer:seek`. Each listed tab is now introduced to the
 * seeker: the two may exchange `peer:signal`s. Empty when no connected tab has the model.
 */
export const peerSeedersSchema = z.strictObject({
  modelId: z.string().min(1).max(200),
  seeders: z.array(nodeIdSchema).max(MAX_SEEDERS_PER_SEEK),
});
export type PeerSeeders = z.infer<typeof peerSeedersSchema>;

/**
 * `peer:report`, tab → coordinator: an introduced seeder served bytes that failed the catalog's sha256
 * (the fetcher proved which pieces with the HTTP copy). Enough distinct reporters and the coordinator stops
 * introducing that tab as a seeder.
 */
export const peerReportSchema = z.strictObject({
  about: nodeIdSchema,
  modelId: z.string().min(1).max(200),
  reason: z.string().max(500),
});
export type PeerReport = z.infer<typeof peerReportSchema>;
