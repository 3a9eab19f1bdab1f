import { TesseraError, siteListSchema, siteRegistrationSchema, siteViewSchema } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SiteBook } from './site-book.ts';

const tags = ['Sites'];

/**
 * Sites that embed the widget: `POST /api/v1/sites` registers one (its origins and whom to pay) and answers
 * its public site key; `GET /api/v1/sites/{siteKey}` and `GET /api/v1/sites` show visitors, tasks and credit.
 * No ownership proof is needed: a key earns only for work done on pages of its own origins that carry it,
 * and only an origin's owner decides which key its pages carry.
 */
export const sitesRoutes: FastifyPluginAsync<{ sites: SiteBook }> = async (app, { sites }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.post(
    '/api/v1/sites',
    {
      schema: {
        tags,
        summary: 'Register a site: its origins and the Hedera account (or tab key) its share is paid to',
        body: siteRegistrationSchema,
        response: { 201: siteViewSchema },
      },
    },
    async (request, reply) => reply.code(201).send(sites.view(sites.register(request.body))),
  );

  typed.get(
    '/api/v1/sites',
    { schema: { tags, summary: 'Registered sites, by tasks served through their widgets', response: { 200: siteListSchema } } },
    async () => ({ sites: sites.list() }),
  );

  typed.get(
    '/api/v1/sites/:siteKey',
    {
      schema: {
        tags,
        summary: "A site's visitors, tasks and credit",
        params: z.object({ siteKey: z.string().max(100) }),
        response: { 200: siteViewSchema },
      },
    },
    async (request) => {
      const site = sites.get(request.params.siteKey);
      if (site === undefined) throw new TesseraError('site_not_found', `No site is registered with the key ${request.params.siteKey}.`);
      return sites.view(site);
    },
  );
};
