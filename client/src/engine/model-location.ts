import { assertNever } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';

/**
 * Where a model's files live, in the terms transformers.js uses: a file's URL is
 * `remoteHost + remotePathTemplate(repo, revision) + path`. Mirrored and hub models take the same
 * loading code; only this differs.
 */
export interface ModelLocation {
  /** The id transformers.js is asked to load (`{model}` in the template). */
  repo: string;
  revision: string;
  remoteHost: string;
  remotePathTemplate: string;
  /**
   * Origins the load may fetch from, or null for no limit. A mirrored model must never reach past
   * the coordinator (a missing optional file must not fall through to the hub).
   */
  allowedOrigins: readonly string[] | null;
  /**
   * Whether transformers.js may keep the files in Cache Storage, which never revalidates. Hub files are
   * pinned by revision and large; mirrored files come from the coordinator, whose ETags let the browser's
   * HTTP cache revalidate them, so a regenerated model is never served stale.
   */
  cacheInBrowser: boolean;
}

export interface ModelHosts {
  coordinatorOrigin: string;
  hubUrl: string;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export function modelLocation(entry: ModelCatalogEntry, hosts: ModelHosts): ModelLocation {
  const source = entry.source;
  switch (source.kind) {
    case 'mirror': {
      const origin = new URL(hosts.coordinatorOrigin).origin;
      return {
        repo: entry.id,
        revision: 'main',
        remoteHost: `${origin}/models/`,
        remotePathTemplate: '{model}/',
        allowedOrigins: [origin],
        cacheInBrowser: false,
      };
    }
    case 'hub':
      // The hub answers large files with redirects to its CDN, so no origin list can be exact here.
      return {
        repo: source.repo,
        revision: source.revision,
        remoteHost: withTrailingSlash(hosts.hubUrl),
        remotePathTemplate: '{model}/resolve/{revision}/',
        allowedOrigins: null,
        cacheInBrowser: true,
      };
    default:
      return assertNever(source, 'model source');
  }
}

/** The URL transformers.js fetches for `path` of the model: the same join it performs. */
export function modelFileUrl(location: ModelLocation, path: string): string {
  const folder = location.remotePathTemplate
    .replaceAll('{model}', location.repo)
    .replaceAll('{revision}', encodeURIComponent(location.revision));
  return `${location.remoteHost}${folder}${path}`;
}

/** Whether a request for `url` stays within the location's allowed origins. */
export function isAllowedModelUrl(location: ModelLocation, url: string, base: string): boolean {
  if (location.allowedOrigins === null) return true;
  const origin = new URL(url, base).origin;
  return location.allowedOrigins.includes(origin);
}
