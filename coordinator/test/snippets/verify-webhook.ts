// The root README shows this function as it is; webhooks.test.ts checks every webhook it receives with it.
// README: from here
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Whether a webhook's body (the raw text) was signed with your key's webhook secret (`whsec_…`). */
export function verifyTesseraWebhook(secret: string, signatureHeader: string, rawBody: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signatureHeader); // x-tessera-signature
  if (match === null) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex'));
}
