import { MODEL_CATALOG, networkCatalogSchema } from '@tessera/shared';
import type { NetworkCatalog } from '@tessera/shared';

/** The hub tabs load from when the coordinator does not say otherwise. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

/**
 * The catalog of the coordinator at `origin` (`GET /api/v1/catalog`: built-in models plus the operator's
 * `--catalog`, with file hashes and known answers) and its hub URL. A coordinator that cannot be asked
 * (down, older) leaves the page with the built-in catalog and a warning, so it still renders.
 */
export async function fetchNetworkCatalog(
  origin: string,
  fetchImpl: (url: string) => Promise<Response> = (url) => fetch(url),
): Promise<{ catalog: NetworkCatalog; warning: string | null }> {
  const fallback = (why: string) => ({
    catalog: { hubUrl: DEFAULT_HUB_URL, models: [...MODEL_CATALOG] },
    warning: `Using the built-in model catalog: the coordinator's ${why}.`,
  });
  let body: unknown;
  try {
    const response = await fetchImpl(new URL('/api/v1/catalog', origin).href);
    if (!response.ok) return fallback(`catalog answered HTTP ${response.status}`);
    body = await response.json();
  } catch {
    return fallback('catalog could not be fetched');
  }
  const parsed = networkCatalogSchema.safeParse(body);
  return parsed.success ? { catalog: parsed.data, warning: null } : fallback('catalog is not in the expected shape');
}
