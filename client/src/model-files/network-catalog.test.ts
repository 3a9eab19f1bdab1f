import { MODEL_CATALOG } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB_URL, fetchNetworkCatalog } from './network-catalog.ts';

const ORIGIN = 'http://coordinator.test';

describe('fetchNetworkCatalog', () => {
  it("takes the coordinator's catalog and hub URL", async () => {
    const extra = { ...MODEL_CATALOG[0], id: 'org/extra' };
    const asked: string[] = [];
    const { catalog, warning } = await fetchNetworkCatalog(ORIGIN, async (url) => {
      asked.push(url);
      return Response.json({ hubUrl: 'http://mirror.test:8080', models: [...MODEL_CATALOG, extra] });
    });
    expect(asked).toEqual([`${ORIGIN}/api/v1/catalog`]);
    expect(warning).toBeNull();
    expect(catalog.hubUrl).toBe('http://mirror.test:8080');
    expect(catalog.models.map((entry) => entry.id)).toContain('org/extra');
  });

  it('falls back to the built-in catalog, with a warning, when the coordinator cannot say or says nonsense', async () => {
    for (const answer of [
      async () => new Response('no', { status: 404 }),
      async () => Promise.reject(new TypeError('network down')),
      async () => Response.json({ hubUrl: 'javascript:alert(1)', models: [] }),
      async () => Response.json({ models: [{ id: 'half an entry' }] }),
    ]) {
      const { catalog, warning } = await fetchNetworkCatalog(ORIGIN, answer);
      expect(catalog).toEqual({ hubUrl: DEFAULT_HUB_URL, models: [...MODEL_CATALOG] });
      expect(warning).toMatch(/built-in model catalog/);
    }
  });
});
