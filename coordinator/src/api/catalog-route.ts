import { networkCatalogSchema } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

export interface CatalogRouteOptions {
  catalog: readonly ModelCatalogEntry[];
  /** The hub tabs load hub models from (`--hub-url`); a page's `?hub=` may override it for itself. */
  hubUrl: string;
}

/**
 * `GET /api/v1/catalog`: the whole catalog this coordinator serves (built-in plus `--catalog`), with file
 * hashes and known answers, and its hub URL. Pages load it before they start, so tabs verify the files of
 * an operator's models against the operator's hashes with no change to the pages.
 */
export const catalogRoute: FastifyPluginAsync<CatalogRouteOptions> = async (app, options) => {
  const body = networkCatalogSchema.parse({ hubUrl: options.hubUrl, models: options.catalog });
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/catalog',
    {
      schema: {
        tags: ['Network'],
        summary: 'The model catalog tabs load from, with file hashes, known answers and the hub URL',
        response: { 200: networkCatalogSchema },
      },
    },
    async () => body,
  );
};
