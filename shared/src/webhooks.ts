import { z } from 'zod';

/**
 * Webhooks of async tasks: when a task submitted with `webhook_url` ends, the coordinator POSTs its task
 * view there, signed with the submitting key's webhook secret.
 */

/** `webhook_url` on `POST /api/v1/tasks`: http or https, at most 2048 characters. */
export const webhookUrlSchema = z.url({ protocol: /^https?$/, error: 'webhook_url must be an http or https URL' }).max(2048);

/** The header carrying `t=<unix ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">` made with the key's webhook secret. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-tessera-signature';
/** The delivery's task id (the same on every attempt): a receiver deduplicates by it. */
export const WEBHOOK_TASK_HEADER = 'x-tessera-task-id';
/** Which attempt this is, from 1. */
export const WEBHOOK_ATTEMPT_HEADER = 'x-tessera-webhook-attempt';

/** The text a webhook signature covers: the timestamp, a dot, the exact body. */
export function webhookSignedText(timestampMs: number, body: string): string {
  return `${timestampMs}.${body}`;
}

/** The signature header's parts, or undefined if it is not `t=<digits>,v1=<64 hex>`. */
export function parseWebhookSignature(header: string): { timestampMs: number; v1: string } | undefined {
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { timestampMs: Number(match[1]), v1: match[2] };
}
