import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * The Content Security Policy of every answer (pages, API, docs). Pages render model output, which is
 * untrusted text: Svelte escapes it, and this policy is the second line — scripts only from the
 * coordinator, no plugins, no framing, no base-tag tricks.
 * - `wasm-unsafe-eval`: onnxruntime-web and web-llm compile WebAssembly; nothing else is evaluated.
 * - `worker-src blob:`: onnxruntime-web may start its WASM threads from blob URLs.
 * - `connect-src https: wss:`: tabs fetch models from the hub (or a mirror), web-llm's model library
 *   and weights, and may join a coordinator on another origin (`?coordinator=`), which must be HTTPS.
 * - `style-src 'unsafe-inline'`: style attributes (progress bars) and the API docs' inline styles.
 * - `frame-ancestors 'none'`: no site may frame the pages. The widget's frame (`/widget-frame`) is the one
 *   exception, with `widgetFramePolicy`.
 * - no `upgrade-insecure-requests`: a coordinator on plain http://127.0.0.1 must keep working.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  workerSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'", 'https:', 'wss:'],
  imgSrc: ["'self'", 'data:', 'blob:'],
  styleSrc: ["'self'", "'unsafe-inline'"],
  fontSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
} as const;

/**
 * `@fastify/helmet` for the whole app. Cross-origin isolation (COOP, COEP) and resource policy are set
 * by the static hosting, per path: pages need isolation for WASM threads, model files must stay
 * fetchable by tabs of other origins.
 */
export const SECURITY_HEADERS: FastifyHelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  referrerPolicy: { policy: 'no-referrer' },
  frameguard: { action: 'deny' },
};

/**
 * The headers for a coordinator whose tabs load hub models from `hubUrl`: a hub mirror on plain HTTP (an
 * operator's LAN mirror, a test's stand-in) is added to `connect-src`; HTTPS hubs are already allowed.
 */
export function securityHeaders(hubUrl: string): FastifyHelmetOptions {
  const hub = new URL(hubUrl);
  if (hub.protocol === 'https:') return SECURITY_HEADERS;
  return { ...SECURITY_HEADERS, contentSecurityPolicy: { useDefaults: false, directives: pageDirectives(hub) } };
}

function pageDirectives(hub: URL): Record<string, readonly string[] | null> {
  if (hub.protocol === 'https:') return CONTENT_SECURITY_POLICY;
  return { ...CONTENT_SECURITY_POLICY, connectSrc: [...CONTENT_SECURITY_POLICY.connectSrc, hub.origin] };
}

/**
 * The Content Security Policy of the widget's frame: the pages' policy, except that any site may frame it
 * (`frame-ancestors *`: the widget is embedded by sites nobody lists in advance). What keeps the host out
 * is the frame's origin, not this header; see client/src/widget/README.md.
 */
export function widgetFramePolicy(hubUrl: string): string {
  const directives = { ...pageDirectives(new URL(hubUrl)), frameAncestors: ['*'] };
  return Object.entries(directives)
    .flatMap(([name, values]) =>
      values === null ? [] : [[name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`), ...values].join(' ')],
    )
    .join('; ');
}
