import { TesseraError, findModel, modelListSchema, modelObjectSchema } from '@tessera/shared';
import type { ModelCatalogEntry, ModelObject } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModelAvailability } from '../placement/model-availability.ts';

/** Catalog entries in OpenAI's model shape, each with how many tabs of the network serve it right now. */
function modelObject(context: ModelsOptions, model: ModelCatalogEntry): ModelObject {
  const online = context.availability.online(model.id);
  return {
    id: model.id,
    object: 'model',
    created: Math.floor(context.startedAt / 1000),
    owned_by: model.source.kind === 'hub' ? (model.source.repo.split('/')[0] ?? 'tessera') : 'tessera',
    task: model.task,
    engine: model.engine,
    online_workers: online,
  };
}

export interface ModelsOptions {
  catalog: readonly ModelCatalogEntry[];
  /** Tabs serving each model: here, and with several instances, on all of them. */
  availability: Pick<ModelAvailability, 'online'>;
  startedAt: number;
}

export const modelsRoute: FastifyPluginAsync<ModelsOptions> = async (app, context) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/v1/models',
    {
      schema: {
        tags: ['OpenAI'],
        summary: 'List the catalog; models served by a connected tab come first',
        response: { 200: modelListSchema },
      },
    },
    async () => {
      const data = context.catalog.map((model) => modelObject(context, model));
      data.sort((a, b) => Number(b.online_workers > 0) - Number(a.online_workers > 0));
      return { object: 'list' as const, data };
    },
  );
  typed.get(
    '/v1/models/*',
    {
      schema: {
        tags: ['OpenAI'],
        summary: 'Retrieve one model (ids contain a slash)',
        params: z.object({ '*': z.string() }),
        response: { 200: modelObjectSchema },
      },
    },
    async (request) => {
      const model = findModel(context.catalog, request.params['*']);
      if (model === undefined) throw new TesseraError('model_not_found', `The model '${request.params['*']}' does not exist.`, 'model');
      return modelObject(context, model);
    },
  );
};
