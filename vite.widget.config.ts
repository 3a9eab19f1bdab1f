import { defineConfig } from 'vite';
import { noEvalProbes } from './vite.config.ts';

/**
 * `/widget.js`, the `<tessera-widget>` element that sites load from their own pages: one self-contained ES
 * module (no chunks, no CSS file: a cross-origin host would have to fetch each with CORS), written beside
 * the pages in client/dist after `vite build` (which empties it). The frame it embeds is a page of the
 * main build (client/widget-frame.html).
 */
export default defineConfig({
  root: 'client',
  // Host pages may forbid eval: zod must not even probe for it (see vite.config.ts).
  plugins: [noEvalProbes()],
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    copyPublicDir: false,
    lib: {
      entry: 'src/widget/widget-script.browser.ts',
      formats: ['es'],
      fileName: () => 'widget.js',
    },
  },
});
