import { entryDtypes, filesForBackend, transformersModelFiles } from '@tessera/shared';
import type { KnownAnswer, ModelCatalogEntry, ModelFile } from '@tessera/shared';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HubClient } from './hub-client.ts';
import { referenceAnswers } from './reference-runner.ts';

/** Files of a hub repository that no tab loads. */
const NOT_MODEL_FILES = new Set(['.gitattributes', 'README.md']);

export interface HashHubModelsOptions {
  hub: HubClient;
  /** Catalog entries to hash; entries of other sources are returned unchanged. */
  entries: readonly ModelCatalogEntry[];
  /** Where the downloaded files are kept for the reference run (`<workDir>/<repo>/<path>`). */
  workDir: string;
  log?: (message: string) => void;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a tab downloads for the entry on its heaviest backend. */
function downloadBytes(entry: ModelCatalogEntry, files: readonly ModelFile[]): number {
  const sizes = entry.backends.map((backend) => filesForBackend(files, entry, backend).reduce((sum, file) => sum + file.bytes, 0));
  return Math.max(0, ...sizes);
}

/**
 * Pins hub entries: resolves each one's revision to its commit, downloads the files a tab loads at that
 * commit (for transformers.js: config, tokenizer and the ONNX weights of the entry's dtypes; for web-llm:
 * every file of the repository), hashes them, and records known answers from a reference run of the model
 * (`referenceAnswers`; web-llm models cannot run in Node and get none). The result is the entries as a
 * catalog file lists them (`--catalog`).
 */
export async function hashHubModels(options: HashHubModelsOptions): Promise<ModelCatalogEntry[]> {
  const hashed: ModelCatalogEntry[] = [];
  for (const entry of options.entries) {
    const source = entry.source;
    if (source.kind !== 'hub') {
      hashed.push(entry);
      continue;
    }
    const revision = await options.hub.revision(source.repo, source.revision);
    const paths = revision.siblings.map((sibling) => sibling.rfilename);
    const selected =
      entry.engine === 'transformers'
        ? transformersModelFiles(paths, entryDtypes(entry))
        : paths.filter((path) => !NOT_MODEL_FILES.has(path)).sort();
    if (selected.length === 0) throw new Error(`${entry.id}: ${source.repo}@${revision.sha} has none of the files a tab loads`);
    options.log?.(`${entry.id}: ${source.repo}@${source.revision} is commit ${revision.sha}; hashing ${selected.length} file(s)`);
    const files: ModelFile[] = [];
    for (const path of selected) {
      const bytes = await options.hub.file(source.repo, revision.sha, path);
      const target = join(options.workDir, source.repo, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes);
      files.push({ path, sha256: sha256Hex(bytes), bytes: bytes.byteLength });
    }
    let knownAnswers: KnownAnswer[] = [];
    if (entry.engine === 'transformers') {
      knownAnswers = await referenceAnswers({ entry, folder: options.workDir, name: source.repo });
      options.log?.(`${entry.id}: ${knownAnswers.length} known answer(s) from the reference run`);
    }
    hashed.push({
      ...entry,
      source: { kind: 'hub', repo: source.repo, revision: revision.sha },
      files,
      downloadBytes: downloadBytes(entry, files),
      knownAnswers,
    });
  }
  return hashed;
}
