import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface HubRepoFixture {
  /** Folder whose files the repository serves (e.g. coordinator/models/tessera/tiny-gpt2). */
  folder: string;
}

export interface HubStandInOptions {
  repos: Record<string, HubRepoFixture>;
  /**
   * Files served changed under the `/bad/` prefix (a mirror gone wrong: `{url}/bad` is a hub URL of its own):
   * `bad/{repo}/resolve/...` answers these paths with a newline appended, so the bytes differ and JSON
   * still parses.
   */
  corrupt?: readonly string[];
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * A model hub on loopback in the Hugging Face hub's URL shape, serving local folders as repositories:
 * `GET /api/models/{repo}/revision/{rev}` (commit and file list) and `GET /{repo}/resolve/{rev}/{path}`,
 * with the CORS and resource-policy headers the real hub sends, so pages of another origin may fetch from
 * it. Each repository has one commit, a hash of its files; `main` resolves to it. Records every request.
 */
export class HubStandIn {
  readonly requests: string[] = [];
  /** Requests that asked for a byte range (`Range: bytes=a-b`, answered 206), such as transformers.js's size probes. */
  readonly rangeRequests: string[] = [];
  readonly #options: HubStandInOptions;
  readonly #server: Server;
  readonly #commits = new Map<string, { sha: string; files: string[] }>();
  #url = '';

  private constructor(options: HubStandInOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
      if (range !== null) this.rangeRequests.push(request.url ?? '/');
      void this.#answer(request.method ?? 'GET', request.url ?? '/').then(
        ({ status: answered, body, type }) => {
          let status = answered;
          const headers: Record<string, string> = {
            'content-type': type,
            'access-control-allow-origin': '*',
            'access-control-expose-headers': 'content-range, content-length',
            'cross-origin-resource-policy': 'cross-origin',
          };
          let sent = body;
          if (range !== null && status === 200) {
            const start = Number(range[1]);
            const end = Math.min(Number(range[2]), body.byteLength - 1);
            sent = body.subarray(start, end + 1);
            headers['content-range'] = `bytes ${start}-${end}/${body.byteLength}`;
            status = 206;
          }
          headers['content-length'] = String(sent.byteLength);
          response.writeHead(status, headers);
          response.end(request.method === 'HEAD' ? undefined : sent);
        },
        () => {
          response.writeHead(500, { 'access-control-allow-origin': '*' });
          response.end();
        },
      );
    });
  }

  static async start(options: HubStandInOptions): Promise<HubStandIn> {
    const hub = new HubStandIn(options);
    for (const [repo, fixture] of Object.entries(options.repos)) {
      const files = await listFiles(fixture.folder);
      const hash = createHash('sha1');
      for (const file of files) hash.update(file).update(await readFile(join(fixture.folder, file)));
      hub.#commits.set(repo, { sha: hash.digest('hex'), files });
    }
    await new Promise<void>((resolve) => hub.#server.listen(0, '127.0.0.1', resolve));
    hub.#url = `http://127.0.0.1:${(hub.#server.address() as AddressInfo).port}`;
    return hub;
  }

  /** The hub's base URL, without a trailing slash. */
  get url(): string {
    return this.#url;
  }

  /** The commit `main` resolves to in `repo`. */
  commit(repo: string): string {
    const commit = this.#commits.get(repo);
    if (commit === undefined) throw new Error(`no repository ${repo}`);
    return commit.sha;
  }

  /** Requests for files of `repo` (any prefix), as paths inside the repository. */
  fileRequests(repo: string): string[] {
    return this.requests.flatMap((url) => {
      const match = new RegExp(`^(?:/bad)?/${repo}/resolve/[^/]+/(.+)$`).exec(url);
      return match?.[1] === undefined ? [] : [match[1]];
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(method: string, url: string): Promise<{ status: number; body: Buffer; type: string }> {
    this.requests.push(url);
    const notFound = { status: 404, body: Buffer.from('{"error":"not found"}'), type: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') return { ...notFound, status: 405 };
    const path = decodeURIComponent(url.split('?')[0] ?? '');
    const info = /^(?:\/bad)?\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(path);
    if (info !== null) {
      const commit = this.#resolve(info[1] ?? '', info[2] ?? '');
      if (commit === undefined) return notFound;
      const body = { id: info[1], sha: commit.sha, siblings: commit.files.map((rfilename) => ({ rfilename })) };
      return { status: 200, body: Buffer.from(JSON.stringify(body)), type: 'application/json' };
    }
    const file = /^(\/bad)?\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (file === null) return notFound;
    const [, bad, repo = '', revision = '', filePath = ''] = file;
    const commit = this.#resolve(repo, revision);
    const fixture = this.#options.repos[repo];
    if (commit === undefined || fixture === undefined || !commit.files.includes(filePath)) return notFound;
    let body = await readFile(join(fixture.folder, filePath));
    if (bad !== undefined && (this.#options.corrupt ?? []).includes(filePath)) body = Buffer.concat([body, Buffer.from('\n')]);
    return { status: 200, body, type: filePath.endsWith('.json') ? 'application/json' : 'application/octet-stream' };
  }

  #resolve(repo: string, revision: string): { sha: string; files: string[] } | undefined {
    const commit = this.#commits.get(repo);
    return commit !== undefined && (revision === 'main' || revision === commit.sha) ? commit : undefined;
  }
}
