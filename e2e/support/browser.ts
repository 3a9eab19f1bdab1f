import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { NetworkNamespace } from './network-namespace.ts';

export const CHROMIUM_PATH = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

/** The flags DESIGN.md section 9 measured for headless Debian Chromium on our machines. */
const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // Anything but loopback fails name resolution: a test cannot reach the internet even by mistake.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  // Without a GPU, --enable-unsafe-webgpu gives SwiftShader's software adapter (DESIGN.md section 9).
  const args = options.webgpu ? [...BASE_ARGS, '--enable-unsafe-webgpu'] : BASE_ARGS;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args, headless: true });
}

/**
 * Chromium inside a test's network namespace (see network-namespace.ts), for browser-to-browser
 * WebRTC: its only interface is the namespace's veth end, so ICE finds a real host candidate.
 * `coordinatorUrl` must be on the namespace's host address; it is the one origin pages may load (several,
 * one per coordinator instance on its own port, when given a list).
 */
export async function launchChromiumInNamespace(
  namespace: NetworkNamespace,
  coordinatorUrl: string | readonly string[],
  options: { ownSignals?: boolean } = {},
): Promise<Browser> {
  const origins = (typeof coordinatorUrl === 'string' ? [coordinatorUrl] : coordinatorUrl).map((url) => new URL(url).origin);
  const args = [
    ...BASE_ARGS.filter((arg) => !arg.startsWith('--host-resolver-rules=')),
    // Names resolve to nothing but the namespace's host address: nothing can leave the test's network.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${namespace.hostAddress}`,
    // http://10.213.N.1 is not a secure context by itself; pages need WebCrypto, IndexedDB and
    // cross-origin isolation (COOP + COEP only count in a secure context).
    `--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`,
    // Host candidates carry the namespace address instead of a random `.local` mDNS name.
    '--disable-features=WebRtcHideLocalIpsWithMdns',
  ];
  // playwright talks to Chromium over a pipe (fds 3 and 4), which `ip netns exec` passes through.
  // `ownSignals`: the caller closes the browser on Ctrl-C itself (after which it still has a coordinator and a
  // namespace to stop); Playwright's own handlers would exit the process first.
  const signals = options.ownSignals === true ? { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false } : {};
  return chromium.launch({ executablePath: namespace.chromiumExecutable, args, headless: true, ...signals });
}

/** Records every request a context makes, so a test can assert that none left loopback. */
export class NetworkLog {
  readonly urls: string[] = [];

  constructor(context: BrowserContext) {
    context.on('request', (request) => this.urls.push(request.url()));
  }

  offLoopback(): string[] {
    return this.urls.filter((url) => {
      if (url.startsWith('data:') || url.startsWith('blob:')) return false;
      const { hostname } = new URL(url);
      return !(hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]');
    });
  }

  /** Requests to any host not in `allowedHosts` (data: and blob: URLs never leave the browser). */
  outside(allowedHosts: readonly string[]): string[] {
    return this.urls.filter((url) => {
      if (url.startsWith('data:') || url.startsWith('blob:')) return false;
      return !allowedHosts.includes(new URL(url).hostname);
    });
  }
}

export interface VolunteerTabOptions {
  models?: readonly string[];
  backend?: 'wasm' | 'webgpu';
  role?: 'worker' | 'guard';
  /**
   * WebRTC links to other tabs. Off unless asked for: outside a test network namespace Chromium would try
   * the machine's real interfaces (DESIGN.md section 9).
   */
  peers?: boolean;
  /** Tasks the tab may hold at once (`maxConcurrent`). */
  maxConcurrent?: number;
  /** Fragment parameters (never sent to the server), e.g. a development wallet. */
  fragment?: Record<string, string>;
}

/** Opens the volunteer page the way automation does: consent given by `autostart=1`. */
export async function openVolunteerTab(context: BrowserContext, coordinatorUrl: string, options: VolunteerTabOptions = {}): Promise<Page> {
  const page = await context.newPage();
  await gotoVolunteerPage(page, coordinatorUrl, options);
  return page;
}

/** Same as `openVolunteerTab` for a page the test prepared first (routes, throttling). */
export async function gotoVolunteerPage(page: Page, coordinatorUrl: string, options: VolunteerTabOptions = {}): Promise<void> {
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
  Object.assign(page, { tesseraLogs: logs });
  const params = new URLSearchParams({ autostart: '1', backend: options.backend ?? 'wasm' });
  if (options.models) params.set('models', options.models.join(','));
  if (options.role) params.set('role', options.role);
  if (options.peers !== true) params.set('peers', '0');
  if (options.maxConcurrent !== undefined) params.set('maxConcurrent', String(options.maxConcurrent));
  const fragment = options.fragment ? `#${new URLSearchParams(options.fragment).toString()}` : '';
  await page.goto(`${coordinatorUrl}/?${params.toString()}${fragment}`);
}

/** The page's console, for failure messages. */
export function pageLogs(page: Page): string {
  const logs: unknown = Reflect.get(page, 'tesseraLogs');
  return Array.isArray(logs) ? logs.join('\n') : '';
}
