import { hubFileUrl, hubRevisionSchema, hubRevisionUrl } from '@tessera/shared';
import type { HubRevision } from '@tessera/shared';

/** What the hashing script needs of a model hub: a revision's commit and files, and a file's bytes. */
export interface HubClient {
  readonly url: string;
  revision(repo: string, revision: string): Promise<HubRevision>;
  file(repo: string, revision: string, path: string): Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * The Hugging Face hub's HTTP API (or a mirror in its URL shape): `api/models/{repo}/revision/{rev}` for
 * the commit and file list, `{repo}/resolve/{rev}/{path}` for bytes. `token` is sent as a bearer token
 * for gated repositories and never logged.
 */
export function httpHubClient(url: string, options: { token?: string; fetch?: typeof fetch } = {}): HubClient {
  const fetchImpl = options.fetch ?? fetch;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const get = async (target: string): Promise<Response> => {
    const response = await fetchImpl(target, { headers, redirect: 'follow' });
    if (!response.ok) throw new Error(`${target} answered HTTP ${response.status}`);
    return response;
  };
  return {
    url,
    async revision(repo, revision) {
      const target = hubRevisionUrl(url, repo, revision);
      const parsed = hubRevisionSchema.safeParse(await (await get(target)).json());
      if (!parsed.success) throw new Error(`${target} is not a model revision: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return parsed.data;
    },
    async file(repo, revision, path) {
      return new Uint8Array(await (await get(hubFileUrl(url, repo, revision, path))).arrayBuffer());
    },
  };
}
