// @ts-check
// ESLint for the whole repository: `npm run lint`. Recommended rule sets only, without type information
// (fast on a 2-core machine); formatting is Prettier's (`npm run format:check`), so eslint-config-prettier
// turns off every rule that would fight it. The import boundaries of STYLE.md are the rules below the
// "Boundaries" line; shared/README.md and e2e/README.md say what each workspace is.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { importBoundaries } from './scripts/eslint/import-boundaries.js';
import svelteConfig from './client/svelte.config.js';

/** Files produced by a generator (STYLE.md rule 11), build outputs and caches. */
const GENERATED = [
  'contracts/artifacts-export/**',
  'contracts/src/index.ts',
  'contracts/artifacts/**',
  'contracts/cache/**',
  'contracts/types/**',
  'shared/src/tiny-model-files.generated.ts',
  'shared/src/tiny-model-answers.generated.ts',
  'coordinator/models/**',
  '**/dist/**',
  '**/coverage/**',
  'data/**',
];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A regex source matching each package name and its subpaths (`name`, `name/…`). */
const packageRegex = (names) => `^(${names.map(escapeRegex).join('|')})(\\/.*)?$`;

/** `import x from '<name>'` (and `name/…`) for each name, as a no-restricted-imports pattern. */
function packages(names, message, allowTypeImports = false) {
  return { regex: packageRegex(names), message, allowTypeImports };
}

const workspace = (name) => `@tessera/${name}`;
const LAYERING =
  'A workspace never imports a higher one: shared and contracts are the bottom, coordinator and client sit on them, e2e on everything.';

/** Node's built-in modules, with and without the `node:` prefix. */
const NODE_BUILTINS = {
  regex: `^node:|${packageRegex(builtinModules)}`,
  message: 'shared runs in browsers, Web Workers and Node alike: it imports nothing from Node (STYLE.md rule 2).',
};

/** What a Svelte component must not reach for: it renders state, it makes no socket, peer or engine calls. */
const COMPONENT_PACKAGE_NAMES = ['socket.io-client', 'simple-peer', '@mlc-ai/web-llm', '@huggingface/transformers', 'onnxruntime-web'];
const COMPONENT_PACKAGES = packages(
  COMPONENT_PACKAGE_NAMES,
  'Components make no socket, peer or engine calls: use the state the app context hands down (STYLE.md, bits-ui).',
);

/** `@typescript-eslint/no-restricted-imports` for each workspace; a later config object replaces, not merges, these options. */
const RESTRICTED = {
  shared: [
    NODE_BUILTINS,
    packages(
      [workspace('coordinator'), workspace('client'), workspace('contracts'), workspace('e2e')],
      `shared is the bottom layer. ${LAYERING}`,
    ),
  ],
  contracts: [
    packages(
      [workspace('shared'), workspace('coordinator'), workspace('client'), workspace('e2e')],
      `contracts is a bottom layer. ${LAYERING}`,
    ),
  ],
  coordinator: [packages([workspace('client'), workspace('e2e')], LAYERING)],
  client: [packages([workspace('coordinator'), workspace('e2e')], LAYERING)],
};

/** Client folders whose values components may not import: the runtime below the page states. */
const CLIENT_RUNTIME_FOLDERS = ['client/src/engine', 'client/src/node', 'client/src/peer'];

export default defineConfig(
  { ignores: GENERATED },

  // Rule sets.
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
    // svelte-check resolves names with TypeScript, types included; no-undef would flag type-only globals.
    rules: { 'no-undef': 'off' },
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter or binding kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // With verbatimModuleSyntax, `import { type A } from './a.ts'` still loads ./a.ts; `import type` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },

  // Globals each part runs with (TypeScript checks names in .ts files; this is for .js/.mjs and .svelte).
  { files: ['**/*.{js,mjs,ts}'], ignores: ['client/src/**', 'shared/**'], languageOptions: { globals: globals.node } },
  { files: ['client/src/**'], languageOptions: { globals: { ...globals.browser, ...globals.worker } } },

  // Boundaries (STYLE.md "Our rules" 1 and 2, and bits-ui's thin components).
  { plugins: { tessera: importBoundaries }, rules: { 'tessera/no-relative-import-across-workspaces': 'error' } },
  {
    files: ['shared/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: RESTRICTED.shared }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression', message: 'shared loads no module at run time: import it statically.' },
      ],
    },
  },
  { files: ['contracts/**'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: RESTRICTED.contracts }] } },
  { files: ['coordinator/**'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: RESTRICTED.coordinator }] } },
  { files: ['client/**'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: RESTRICTED.client }] } },
  {
    files: ['client/src/**/*.svelte'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...RESTRICTED.client, COMPONENT_PACKAGES] }],
      // no-restricted-imports does not look at `import()`.
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression[source.value=/${packageRegex(COMPONENT_PACKAGE_NAMES)}/]`, message: COMPONENT_PACKAGES.message },
      ],
      'tessera/no-import-from-folders': [
        'error',
        [
          {
            folders: CLIENT_RUNTIME_FOLDERS,
            allowTypeImports: true,
            message: 'a component imports only types from the engine, the node runtime and peers; the app context hands it their state.',
          },
        ],
      ],
    },
  },
  {
    files: ['client/src/engine/**'],
    rules: {
      'tessera/no-import-from-folders': [
        'error',
        [
          {
            folders: ['client/src/node', 'client/src/peer', 'client/src/volunteer', 'client/src/app'],
            message: 'the engine (Web Worker side) is the bottom layer of the client: it imports nothing from the layers above it.',
          },
        ],
      ],
    },
  },

  // Last: turn off whatever would fight Prettier.
  prettier,
  ...svelte.configs['flat/prettier'],
);
