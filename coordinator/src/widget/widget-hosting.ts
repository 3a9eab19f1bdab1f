import type { FastifyPluginAsync } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { widgetFramePolicy } from '../http/security-headers.ts';

/** The widget's three files in the build (client/dist), by the path they are served at. */
export const WIDGET_FILES = {
  '/widget.js': 'widget.js',
  '/widget-frame': 'widget-frame.html',
  '/widget-demo': 'widget-demo.html',
} as const;

/**
 * Serves the embeddable widget:
 * - `/widget.js`, the `<tessera-widget>` element, which sites load as a module script from their own pages:
 *   a cross-origin module script needs CORS (`access-control-allow-origin: *`, no credentials) and, on
 *   hosts with COEP, `cross-origin-resource-policy: cross-origin`;
 * - `/widget-frame`, the page the element frames: the only page any origin may frame (`frame-ancestors *`,
 *   no `X-Frame-Options`); every other page keeps `frame-ancestors 'none'` and `DENY`;
 * - `/widget-demo`, a page to try both modes, with the snippet to copy.
 * Registered after the static hosting, so its headers are set last.
 */
export const widgetHosting: FastifyPluginAsync<{ clientDir: string; hubUrl: string }> = async (app, { clientDir, hubUrl }) => {
  const framePolicy = widgetFramePolicy(hubUrl);
  app.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path === '/widget.js') {
      reply.header('access-control-allow-origin', '*');
      reply.header('cross-origin-resource-policy', 'cross-origin');
      reply.header('cache-control', 'no-cache');
    } else if (path === '/widget-frame') {
      reply.header('content-security-policy', framePolicy);
      reply.removeHeader('x-frame-options');
      reply.header('cross-origin-resource-policy', 'cross-origin');
      reply.header('cache-control', 'no-cache');
    }
  });

  for (const [path, file] of Object.entries(WIDGET_FILES)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      if (!existsSync(join(clientDir, file))) {
        return reply.code(503).type('text/plain').send('The Tessera widget is not built yet. Run `npm run build` and reload.');
      }
      return reply.sendFile(file, clientDir);
    });
  }
};
