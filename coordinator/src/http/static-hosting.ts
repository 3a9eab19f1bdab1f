import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the single-page app; each answers with index.html and the page routes on the client. */
export const PAGE_PATHS = ['/', '/guard', '/playground', '/dashboard'] as const;

/**
 * Serves the built pages and the model mirror. Pages need cross-origin isolation (COOP + COEP) for
 * WASM threads; model files may be fetched by tabs of other origins (the widget), so they allow it.
 */
export async function registerStaticHosting(app: FastifyInstance, options: { clientDir: string; modelsDir: string }): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-embedder-policy', 'require-corp');
    if (request.url.startsWith('/models/')) {
      reply.header('cache-control', 'no-cache');
      reply.header('cross-origin-resource-policy', 'cross-origin');
      reply.header('access-control-allow-origin', '*');
    } else {
      reply.header('cross-origin-resource-policy', 'same-origin');
    }
  });

  await app.register(fastifyStatic, {
    root: options.modelsDir,
    prefix: '/models/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    // Revalidate with the ETag each time: a regenerated model must not stay stale in a long-lived tab.
    cacheControl: false,
  });

  const built = existsSync(join(options.clientDir, 'index.html'));
  if (!built) {
    app.log.warn({ clientDir: options.clientDir }, 'pages are not built; run `npm run build` (npm start does it)');
    for (const path of PAGE_PATHS) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain')
          .send('Tessera pages are not built yet. Run `npm run build` (or `npm start`, which builds them) and reload.'),
      );
    }
    return;
  }
  await app.register(fastifyStatic, { root: options.clientDir, prefix: '/', wildcard: true, index: 'index.html' });
  for (const path of PAGE_PATHS) {
    if (path === '/') continue;
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'));
  }
}
