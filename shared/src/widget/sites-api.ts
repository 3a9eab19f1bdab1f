import { z } from 'zod';
import { amountSchema } from '../rewards/reward-math.ts';
import { publicKeySchema } from '../signing/signed-payloads.ts';
import { hederaAccountIdSchema } from '../wallet/hedera-account-id.ts';
import { siteKeySchema } from './widget-settings.ts';

/** A web origin as browsers send it: scheme, host and port, nothing more (`https://example.org`). */
export const webOriginSchema = z
  .string()
  .max(300)
  .regex(
    /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[1-9][0-9]{0,4})?$/,
    'an origin: http(s)://host[:port] in lowercase, no path or trailing slash',
  );

/**
 * `POST /api/v1/sites`: the origins a site's pages are served from and who its share is paid to, a
 * Hedera account or a tab key (whose linked account is then paid, as a volunteer's is).
 */
export const siteRegistrationSchema = z.union([
  z.strictObject({ origins: z.array(webOriginSchema).min(1).max(20), account: hederaAccountIdSchema }),
  z.strictObject({ origins: z.array(webOriginSchema).min(1).max(20), publicKey: publicKeySchema }),
]);
export type SiteRegistration = z.infer<typeof siteRegistrationSchema>;

export const siteCreditSchema = z.object({
  escrowed: amountSchema,
  credited: amountSchema,
  settled: amountSchema,
  slashed: amountSchema,
});

/** `GET /api/v1/sites/{siteKey}` (and each row of `GET /api/v1/sites`). */
export const siteViewSchema = z.object({
  siteKey: siteKeySchema,
  origins: z.array(z.string()),
  /** Exactly one of the two is set. */
  account: z.string().nullable(),
  publicKey: z.string().nullable(),
  createdAt: z.number().int(),
  /** Distinct visitor keys that served tasks through this site's widget from one of its origins. */
  visitors: z.number().int().min(0),
  tasks: z.number().int().min(0),
  /** The site's share, in the token's smallest unit, by state (the same states as a volunteer's credit). */
  credit: siteCreditSchema,
});
export type SiteView = z.infer<typeof siteViewSchema>;

export const siteListSchema = z.object({ sites: z.array(siteViewSchema) });
export type SiteList = z.infer<typeof siteListSchema>;

/**
 * Where a widget tab runs, as its frame (on the coordinator's origin) read it from the browser:
 * `pageOrigin` is the embedding page's origin (`location.ancestorOrigins[0]`, else the referrer's
 * origin; null when the browser told neither), `siteKey` the host's `site-key` attribute. Sent in
 * `worker:hello`'s capabilities; the coordinator credits a site only when the origin is one it registered.
 */
export const embeddedInSchema = z.strictObject({
  pageOrigin: webOriginSchema.nullable(),
  siteKey: siteKeySchema.nullable(),
});
export type EmbeddedIn = z.infer<typeof embeddedInSchema>;
