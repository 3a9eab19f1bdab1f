import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'));

/**
 * The onnxruntime-web build transformers.js 4.3 runs for both its WASM and WebGPU backends (the
 * `asyncify` build; the JSEP and JSPI builds are not used by `onnxruntime-web/webgpu`). Served from
 * `/ort/` so no page ever fetches them from a CDN; client/src/engine/transformers-engine.browser.ts
 * points `env.backends.onnx.wasm.wasmPaths` here.
 */
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'] as const;
const ORT_PUBLIC_PATH = 'ort';

/** Cross-origin isolation, needed for SharedArrayBuffer and so for multi-threaded WASM. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const COORDINATOR = 'http://127.0.0.1:8787';

function onnxRuntimeFiles(): Plugin {
  return {
    name: 'tessera:onnxruntime-files',
    configureServer(server) {
      server.middlewares.use(async (request, response, next) => {
        const path = request.url?.split('?')[0] ?? '';
        const file = ORT_FILES.find((name) => path === `/${ORT_PUBLIC_PATH}/${name}`);
        if (file === undefined) return next();
        const bytes = await readFile(join(ortDist, file));
        response.setHeader('content-type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        for (const [name, value] of Object.entries(ISOLATION_HEADERS)) response.setHeader(name, value);
        response.end(bytes);
      });
    },
    async generateBundle() {
      for (const file of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `${ORT_PUBLIC_PATH}/${file}`, source: await readFile(join(ortDist, file)) });
      }
    },
  };
}

/**
 * The pages' Content Security Policy has no 'unsafe-eval' (coordinator/src/http/security-headers.ts), and
 * two libraries probe for eval at start-up, which the browser reports as violations even though they
 * cope when it is refused. Both probes are turned into their refused outcome at build time:
 * - zod 4 tries `new Function('')` to decide whether to compile object parsers; `jitless` skips the try,
 *   and parsing works the same without compiled parsers.
 * - protobufjs (bundled inside the Hedera wallet libraries) looks for Node modules with
 *   `eval("quire".replace(/^/,"re"))(name)`, which in a page always fails and returns null; `undefined(name)`
 *   fails the same way (a TypeError, caught) without eval.
 */
export function noEvalProbes(): Plugin {
  const zodProbe = /if \(globalConfig\.jitless\)/;
  const inquireProbe = /eval\(("|')quire\1\.replace\(\/\^\/,\s*("|')re\2\)\)/g;
  return {
    name: 'tessera-no-eval-probes',
    enforce: 'pre',
    transform(code, id) {
      if (/[\\/]zod[\\/]v4[\\/]core[\\/]util\.js$/.test(id)) {
        if (!zodProbe.test(code)) this.error(`zod's eval probe changed shape in ${id}; update noEvalProbes in vite.config.ts`);
        return { code: code.replace(zodProbe, 'if (true)'), map: null };
      }
      if (!code.includes('quire')) return null;
      const replaced = code.replace(inquireProbe, 'undefined');
      return replaced === code ? null : { code: replaced, map: null };
    },
  };
}

export default defineConfig({
  root: 'client',
  plugins: [svelte(), onnxRuntimeFiles(), noEvalProbes()],
  resolve: {
    alias: [
      // transformers.js imports `onnxruntime-web/webgpu`, whose default build embeds the WASM glue and
      // makes the bundler copy its 26 MB .wasm into assets/. The "extern" build loads both files from
      // `wasmPaths` (/ort/) instead, so each is shipped once.
      { find: /^onnxruntime-web\/webgpu$/, replacement: join(ortDist, 'ort.webgpu.min.mjs') },
    ],
  },
  worker: { format: 'es', plugins: () => [noEvalProbes()] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // transformers.js and web-llm are large by nature; they load in the engine worker, lazily.
    chunkSizeWarningLimit: 8_000,
    // The pages, and the embeddable widget's frame (/widget-frame); /widget.js itself is vite.widget.config.ts.
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('client/index.html', import.meta.url)),
        'widget-frame': fileURLToPath(new URL('client/widget-frame.html', import.meta.url)),
      },
    },
  },
  server: {
    headers: ISOLATION_HEADERS,
    proxy: {
      '/v1': COORDINATOR,
      '/api': COORDINATOR,
      '/models': COORDINATOR,
      '/socket.io': { target: COORDINATOR, ws: true },
    },
  },
  preview: { headers: ISOLATION_HEADERS },
});
