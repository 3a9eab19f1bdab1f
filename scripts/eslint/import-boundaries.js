// @ts-check
// ESLint rules for the import boundaries that depend on where a relative import lands, which a pattern on
// the import string cannot tell (`./peer-link.ts` is inside peer/ or not depending on the importing file).
// Package-name boundaries (`@tessera/client`, `node:fs`, `socket.io-client`) use
// `@typescript-eslint/no-restricted-imports` in eslint.config.js; these two rules cover the rest:
//
//   tessera/no-relative-import-across-workspaces  a relative import that leaves its workspace (STYLE.md rule 1:
//                                                 import another workspace by its package name)
//   tessera/no-import-from-folders                relative imports into the listed folders (repo-relative),
//                                                 optionally allowing `import type`
//
// Both check static imports, `export … from` and `import('…')` with a literal source. Like
// typescript-eslint, an import is type-only when it says `import type` or every specifier is `type`;
// `@typescript-eslint/no-import-type-side-effects` (on in eslint.config.js) turns the latter into the former,
// which matters because with `verbatimModuleSyntax` `import { type A } from './a.ts'` still loads ./a.ts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file is scripts/eslint/import-boundaries.js. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The npm workspaces (root package.json), each a top-level folder. */
export const WORKSPACES = ['shared', 'coordinator', 'client', 'contracts', 'e2e'];

/** The path from the repository root with `/` separators, or null for a path outside it. */
function repoPath(absolute) {
  const relative = path.relative(ROOT, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  return relative.split(path.sep).join('/');
}

/** The workspace a repo-relative path is in, or null for the root's own files (scripts/, configs). */
function workspaceOf(relative) {
  const top = relative.split('/')[0] ?? '';
  return WORKSPACES.includes(top) ? top : null;
}

/**
 * Calls `check(source, typeOnly, node)` for every module specifier in the file.
 * @param {(source: string, typeOnly: boolean, node: import('estree').Node) => void} check
 */
function visitImports(check) {
  return {
    /** @param {any} node */
    ImportDeclaration(node) {
      const typeOnly =
        node.importKind === 'type' ||
        (node.specifiers.length > 0 &&
          node.specifiers.every((/** @type {any} */ s) => s.type === 'ImportSpecifier' && s.importKind === 'type'));
      check(node.source.value, typeOnly, node);
    },
    /** @param {any} node */
    'ExportNamedDeclaration[source]'(node) {
      const typeOnly =
        node.exportKind === 'type' ||
        (node.specifiers.length > 0 && node.specifiers.every((/** @type {any} */ s) => s.exportKind === 'type'));
      check(node.source.value, typeOnly, node);
    },
    /** @param {any} node */
    ExportAllDeclaration(node) {
      check(node.source.value, node.exportKind === 'type', node);
    },
    /** @param {any} node */
    ImportExpression(node) {
      if (node.source.type === 'Literal' && typeof node.source.value === 'string') check(node.source.value, false, node);
    },
  };
}

/** The repo-relative path a relative specifier points at, or null for a package name or a path outside the repo. */
function resolveRelative(filename, source) {
  if (!source.startsWith('./') && !source.startsWith('../')) return null;
  return repoPath(path.resolve(path.dirname(filename), source));
}

/** @type {import('eslint').Rule.RuleModule} */
const noRelativeImportAcrossWorkspaces = {
  meta: {
    type: 'problem',
    docs: { description: 'A relative import must stay inside its workspace; import another workspace by its package name.' },
    schema: [],
    messages: {
      crosses:
        "'{{source}}' leaves {{from}} for {{target}}: import another workspace by its package name (@tessera/…), never by a relative path.",
    },
  },
  create(context) {
    const file = repoPath(context.filename);
    if (file === null) return {};
    const from = workspaceOf(file);
    // The root's own files (configs, scripts/) are tooling, not a layer: they may point into any workspace.
    if (from === null) return {};
    return visitImports((source, _typeOnly, node) => {
      const target = resolveRelative(context.filename, source);
      if (target === null) return;
      const to = workspaceOf(target);
      if (to === from) return;
      context.report({
        node,
        messageId: 'crosses',
        data: { source, from: `${from}/`, target: to === null ? 'the repository root' : `${to}/` },
      });
    });
  },
};

/** @type {import('eslint').Rule.RuleModule} */
const noImportFromFolders = {
  meta: {
    type: 'problem',
    docs: { description: 'Relative imports may not land in the listed folders (repo-relative).' },
    schema: [
      {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            folders: { type: 'array', items: { type: 'string' }, minItems: 1 },
            allowTypeImports: { type: 'boolean' },
            message: { type: 'string' },
          },
          required: ['folders', 'message'],
          additionalProperties: false,
        },
      },
    ],
    messages: { forbidden: "'{{source}}' is in {{folder}}/: {{message}}" },
  },
  create(context) {
    /** @type {{ folders: string[]; allowTypeImports?: boolean; message: string }[]} */
    const zones = context.options[0] ?? [];
    return visitImports((source, typeOnly, node) => {
      const target = resolveRelative(context.filename, source);
      if (target === null) return;
      for (const zone of zones) {
        if (typeOnly && zone.allowTypeImports === true) continue;
        const folder = zone.folders.find((candidate) => target === candidate || target.startsWith(`${candidate}/`));
        if (folder !== undefined) {
          context.report({ node, messageId: 'forbidden', data: { source, folder, message: zone.message } });
          return;
        }
      }
    });
  },
};

/** The local plugin, registered as `tessera` in eslint.config.js. */
export const importBoundaries = {
  meta: { name: 'tessera-import-boundaries' },
  rules: {
    'no-relative-import-across-workspaces': noRelativeImportAcrossWorkspaces,
    'no-import-from-folders': noImportFromFolders,
  },
};
