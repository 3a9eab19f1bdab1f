/**
 * The wait before attempt `attempt + 1` after `attempt` failed attempts: `baseMs` doubled each time, with up to
 * a fifth taken off at random so receivers that were down together are not hit together. Base 2 s and six
 * attempts: about 2 + 4 + 8 + 16 + 32 s, a minute in all.
 */
export function webhookBackoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const full = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(full * (1 - 0.2 * random()));
}
