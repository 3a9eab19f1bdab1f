import { webhookSignedText } from '@tessera/shared';
import { createHmac } from 'node:crypto';

/** The `x-tessera-signature` value: `t=<unix ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the key's webhook secret. */
export function webhookSignature(secret: string, timestampMs: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(webhookSignedText(timestampMs, body)).digest('hex');
  return `t=${timestampMs},v1=${v1}`;
}
