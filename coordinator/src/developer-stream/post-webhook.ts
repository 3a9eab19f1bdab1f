import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { assertPublicLiteral, publicOnlyLookup } from './public-address.ts';

export interface PostWebhookOptions {
  headers: Record<string, string>;
  /** Ends the attempt: its time ran out, or the coordinator is stopping. */
  signal: AbortSignal;
  /** `TESSERA_WEBHOOK_ALLOW_PRIVATE`: without it, only public addresses are connected to. */
  allowPrivate: boolean;
}

/**
 * POSTs `body` once and resolves with the status; rejects on a network error, a refused address or the
 * signal. node:http rather than fetch: its `lookup` option lets the address check happen on the very
 * addresses connected to, and it follows no redirect (a 3xx is a failed attempt, not a hop elsewhere).
 */
export function postWebhook(url: URL, body: string, options: PostWebhookOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!options.allowPrivate) assertPublicLiteral(url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        signal: options.signal,
        ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        // The answer's body means nothing to us; read it off so the socket is freed.
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
