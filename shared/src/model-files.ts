import { z } from 'zod';
import type { Backend, ModelCatalogEntry } from './model-catalog.ts';
import type { ModelDtype } from './model-dtype.ts';

/** The suffix transformers.js puts after an ONNX file's name for each dtype (its DEFAULT_DTYPE_SUFFIX_MAPPING). */
const DTYPE_SUFFIXES: Readonly<Record<ModelDtype, string>> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' };

/** Suffixes of weight types the catalog does not use, so that `model_int8.onnx` is never taken for an fp32 file. */
const OTHER_SUFFIXES = ['_int8', '_uint8', '_bnb4', '_q2', '_q1', '_q2f16', '_q1f16'];

/** The files besides the weights that transformers.js reads for text generation and embeddings. */
export const TRANSFORMERS_CONFIG_FILES: readonly string[] = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'preprocessor_config.json',
];

/**
 * The weight type of an ONNX file of a model folder (`onnx/<name><suffix>.onnx`, or its external data
 * `…onnx_data`, `…onnx_data_1`), by transformers.js's naming; null for any other file, and `other` for a
 * weight type the catalog does not use.
 */
export function onnxFileDtype(path: string): ModelDtype | 'other' | null {
  const match = /^onnx\/([^/]+)\.onnx(?:_data(?:_\d+)?)?$/.exec(path);
  if (match === null) return null;
  const name = match[1] ?? '';
  if (OTHER_SUFFIXES.some((suffix) => name.endsWith(suffix))) return 'other';
  // Longest first: `_q4f16` also ends like no shorter one, but `_q4` must not claim it.
  const byLength = Object.entries(DTYPE_SUFFIXES).sort(([, a], [, b]) => b.length - a.length);
  for (const [dtype, suffix] of byLength) if (suffix !== '' && name.endsWith(suffix)) return dtype as ModelDtype;
  return 'fp32';
}

/**
 * Of a transformers.js model repository's files, those a tab loads with any of `dtypes`: the config and
 * tokenizer files, and the ONNX weights (with external data) of those weight types. The hashing script
 * lists these in the catalog; a tab picks the ones of its backend with `filesForBackend`.
 */
export function transformersModelFiles(paths: readonly string[], dtypes: readonly ModelDtype[]): string[] {
  const wanted = new Set<string>(dtypes);
  return paths
    .filter((path) => {
      const dtype = onnxFileDtype(path);
      return dtype === null ? TRANSFORMERS_CONFIG_FILES.includes(path) : wanted.has(dtype);
    })
    .sort();
}

/** The files a tab needs to run `entry` on `backend`: every listed file but the weights of other dtypes. */
export function filesForBackend<File extends { path: string }>(files: readonly File[], entry: ModelCatalogEntry, backend: Backend): File[] {
  const dtype = entry.dtype[backend];
  return files.filter((file) => {
    const fileDtype = onnxFileDtype(file.path);
    return fileDtype === null || fileDtype === dtype;
  });
}

/** The dtypes a catalog entry loads with, on any of its backends. */
export function entryDtypes(entry: ModelCatalogEntry): ModelDtype[] {
  return [...new Set(entry.backends.flatMap((backend) => entry.dtype[backend] ?? []))];
}

/**
 * The hub's answer to `GET {hub}/api/models/{repo}/revision/{revision}` (Hugging Face's model info API):
 * the commit the revision resolves to and the repository's files at that commit. Other fields are ignored.
 */
export const hubRevisionSchema = z.object({
  sha: z.string().regex(/^[0-9a-f]{7,64}$/),
  siblings: z.array(z.object({ rfilename: z.string().min(1).max(1000) })).max(10_000),
});
export type HubRevision = z.infer<typeof hubRevisionSchema>;

/** The URL of the hub's model info API for a repository at a revision. */
export function hubRevisionUrl(hubUrl: string, repo: string, revision: string): string {
  const base = hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`;
  return `${base}api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

/** The URL of one file of a hub repository at a revision (the hub's `resolve` path, as transformers.js builds it). */
export function hubFileUrl(hubUrl: string, repo: string, revision: string, path: string): string {
  const base = hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`;
  return `${base}${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}
