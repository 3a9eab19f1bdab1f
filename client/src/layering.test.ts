import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering rule of client/README.md: a folder imports from itself and from folders of a lower rank
 * only. Folders of one rank do not import each other (the engine knows nothing of peers, pages nothing
 * of each other).
 */
const RANK: Record<string, number> = {
  api: 0,
  identity: 0,
  'model-files': 0,
  ui: 0,
  engine: 1,
  peer: 1,
  node: 2,
  wallet: 3,
  rewards: 4,
  volunteer: 5,
  playground: 5,
  dashboard: 5,
  // The guard page is the volunteer runtime in the guard role: it reuses the volunteer page's components.
  guard: 5.5,
  app: 6,
  // The embeddable widget's frame and element: a composition root of its own, beside app/.
  widget: 6,
};

const SRC = fileURLToPath(new URL('.', import.meta.url));
/** The pages' entry points, which mount the root components: the app's and the widget frame's. */
const ENTRIES = ['main.ts', join('widget', 'frame-main.ts')];
const TEST_SUPPORT = resolve(SRC, '../test-support');
const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+|new URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(entry.name) ? [path] : [];
  });
}

function folderOf(path: string): string | null {
  const inside = relative(SRC, path).split(sep);
  return inside.length > 1 ? (inside[0] ?? null) : null;
}

interface Import {
  from: string;
  to: string;
}

function relativeImports(): Import[] {
  return sourceFiles(SRC).flatMap((from) =>
    [...readFileSync(from, 'utf8').matchAll(SPECIFIER)].map((match) => ({ from, to: resolve(dirname(from), match[1] ?? '') })),
  );
}

const show = ({ from, to }: Import): string => `${relative(SRC, from)} → ${relative(SRC, to)}`;

describe('client/src layering', () => {
  const imports = relativeImports();

  it('ranks every folder', () => {
    const folders = new Set(
      sourceFiles(SRC)
        .map(folderOf)
        .filter((folder) => folder !== null),
    );
    expect([...folders].filter((folder) => RANK[folder] === undefined)).toEqual([]);
  });

  it('imports only from the same folder or a lower one', () => {
    const upward = imports.filter(({ from, to }) => {
      const source = folderOf(from);
      const target = folderOf(to);
      if (source === null || target === null || !to.startsWith(SRC) || source === target) return false;
      return (RANK[target] ?? Infinity) >= (RANK[source] ?? -Infinity);
    });
    expect(upward.map(show)).toEqual([]);
  });

  it('keeps components out of state and test doubles out of the app', () => {
    const componentsInCode = imports.filter(
      ({ from, to }) => !from.endsWith('.svelte') && to.endsWith('.svelte') && !ENTRIES.includes(relative(SRC, from)),
    );
    expect(componentsInCode.map(show)).toEqual([]);
    const doublesInApp = imports.filter(({ from, to }) => to.startsWith(TEST_SUPPORT) && !from.endsWith('.test.ts'));
    expect(doublesInApp.map(show)).toEqual([]);
  });

  it('sees the imports it checks', () => {
    // Guards the rule above against a pattern that silently matches nothing.
    const seen = (from: string, to: string): boolean => imports.some((found) => found.from.endsWith(from) && found.to.endsWith(to));
    expect(seen(join('node', 'volunteer-node.ts'), join('node', 'network-session.ts'))).toBe(true);
    expect(seen(join('node', 'start-engine-worker.browser.ts'), join('engine', 'engine-worker.ts'))).toBe(true);
  });
});
