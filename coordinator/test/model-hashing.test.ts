import {
  MODEL_CATALOG,
  TINY_BERT_ID,
  TINY_GPT2_ID,
  TINY_MODEL_ANSWERS,
  TINY_MODEL_FILES,
  cosineSimilarity,
  findModel,
  modelCatalogFileSchema,
} from '@tessera/shared';
import type { KnownAnswer, ModelCatalogEntry } from '@tessera/shared';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/models/catalog-file.ts';
import { httpHubClient } from '../src/models/hub-client.ts';
import { hashHubModels } from '../src/models/model-hasher.ts';
import { referenceAnswers } from '../src/models/reference-runner.ts';
import { TINY_ANSWERS_FILE, renderTinyAnswers } from '../src/models/tiny-answers-file.ts';
import { HubStandIn } from './support/hub-stand-in.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const MODELS_DIR = join(repoRoot, 'coordinator/models');

/** A tiny model as the catalog would list a hub model nobody hashed yet: repo and branch, no files, no answers. */
function unhashedHubEntry(id: string, repo: string): ModelCatalogEntry {
  const entry = findModel(MODEL_CATALOG, id);
  if (entry === undefined) throw new Error(`${id} is not in the catalog`);
  return { ...entry, id: repo, source: { kind: 'hub', repo, revision: 'main' }, files: [], knownAnswers: [], canary: null };
}

/** Known answers agree: chat exactly, embeddings to float32 rounding (the reference run's kernels may differ by machine). */
function expectSameAnswers(actual: readonly KnownAnswer[], expected: readonly KnownAnswer[]): void {
  expect(actual.map((answer) => answer.kind)).toEqual(expected.map((answer) => answer.kind));
  actual.forEach((answer, index) => {
    const other = expected[index];
    if (answer.kind === 'chat' || other?.kind !== 'embeddings') {
      expect(answer).toEqual(other);
      return;
    }
    expect(answer.text).toBe(other.text);
    expect(cosineSimilarity(answer.expectedVector, other.expectedVector)).toBeGreaterThan(0.999_999);
  });
}

describe('npm run models:hash against a hub stand-in serving the tiny models', () => {
  let hub: HubStandIn;
  let workDir: string;

  beforeAll(async () => {
    hub = await HubStandIn.start({
      repos: {
        'tessera-test/tiny-gpt2': { folder: join(MODELS_DIR, TINY_GPT2_ID) },
        'tessera-test/tiny-bert': { folder: join(MODELS_DIR, TINY_BERT_ID) },
      },
    });
    workDir = mkdtempSync(join(tmpdir(), 'tessera-hash-test-'));
  });

  afterAll(async () => {
    await hub.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it(
    'pins the revision to its commit, hashes exactly the generated files and records the reference answers',
    { timeout: 60_000 },
    async () => {
      const [gpt2, bert] = await hashHubModels({
        hub: httpHubClient(hub.url),
        entries: [unhashedHubEntry(TINY_GPT2_ID, 'tessera-test/tiny-gpt2'), unhashedHubEntry(TINY_BERT_ID, 'tessera-test/tiny-bert')],
        workDir,
      });
      expect(gpt2?.source).toEqual({ kind: 'hub', repo: 'tessera-test/tiny-gpt2', revision: hub.commit('tessera-test/tiny-gpt2') });
      // The same bytes as the mirror ships: exactly the hashes of tiny-model-files.generated.ts (manifest.json is no model file).
      expect(gpt2?.files).toEqual(TINY_MODEL_FILES[TINY_GPT2_ID].files);
      expect(bert?.files).toEqual(TINY_MODEL_FILES[TINY_BERT_ID].files);
      expect(gpt2?.downloadBytes).toBe(TINY_MODEL_FILES[TINY_GPT2_ID].files.reduce((sum, file) => sum + file.bytes, 0));
      expectSameAnswers(gpt2?.knownAnswers ?? [], TINY_MODEL_ANSWERS[TINY_GPT2_ID]);
      expectSameAnswers(bert?.knownAnswers ?? [], TINY_MODEL_ANSWERS[TINY_BERT_ID]);
      // Several checks per model; the headline canary is among them.
      expect(gpt2?.knownAnswers.length).toBeGreaterThanOrEqual(3);
      expect(gpt2?.knownAnswers[0]).toMatchObject({
        prompt: 'Tessera',
        expectedCompletion: TINY_MODEL_FILES[TINY_GPT2_ID].canary?.expectedCompletion,
      });
      // Files at the commit, never at the branch: a branch that moves on cannot change what was hashed.
      const commit = hub.commit('tessera-test/tiny-gpt2');
      expect(
        hub.requests.filter((url) => url.startsWith('/tessera-test/tiny-gpt2/resolve/')).every((url) => url.includes(`/${commit}/`)),
      ).toBe(true);
    },
  );

  it('the CLI writes a catalog file the coordinator loads with --catalog', { timeout: 120_000 }, async () => {
    const input = join(workDir, 'in.json');
    const output = join(workDir, 'out.json');
    writeFileSync(input, JSON.stringify({ models: [unhashedHubEntry(TINY_GPT2_ID, 'tessera-test/tiny-gpt2')] }));
    const cli = join(repoRoot, 'coordinator/src/models/hash-models-cli.ts');
    const tsx = join(repoRoot, 'node_modules/.bin/tsx');
    await promisify(execFile)(tsx, [cli, '--hub-url', hub.url, '--catalog', input, '--out', output], { cwd: repoRoot });
    const written = modelCatalogFileSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(written.models.map((entry) => entry.files)).toEqual([TINY_MODEL_FILES[TINY_GPT2_ID].files]);
    const catalog = loadCatalog(output);
    expect(catalog.length).toBe(MODEL_CATALOG.length + 1);
    expect(findModel(catalog, 'tessera-test/tiny-gpt2')?.files).toEqual(TINY_MODEL_FILES[TINY_GPT2_ID].files);
    expect(findModel(catalog, TINY_GPT2_ID)).toEqual(findModel(MODEL_CATALOG, TINY_GPT2_ID));
  });
});

describe('tiny-model-answers.generated.ts', () => {
  it('regenerates from the reference run of the mirrored tiny models', { timeout: 60_000 }, async () => {
    const answers: Record<string, KnownAnswer[]> = {};
    for (const entry of MODEL_CATALOG.filter((candidate) => candidate.source.kind === 'mirror'))
      answers[entry.id] = await referenceAnswers({ entry, folder: MODELS_DIR, name: entry.id });
    for (const id of [TINY_GPT2_ID, TINY_BERT_ID] as const) expectSameAnswers(answers[id] ?? [], TINY_MODEL_ANSWERS[id]);
    const committed = readFileSync(join(repoRoot, TINY_ANSWERS_FILE), 'utf8');
    // Byte for byte but for the vectors' last digits, which depend on the CPU's kernels.
    const withoutVectors = (text: string): string => text.replace(/"expectedVector":\[[^\]]*\]/g, '"expectedVector":[]');
    expect(withoutVectors(renderTinyAnswers(answers))).toBe(withoutVectors(committed));
  });
});

describe('loadCatalog (--catalog)', () => {
  it('refuses a missing file and a file not in the catalog schema, naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-catalog-'));
    try {
      expect(() => loadCatalog(join(dir, 'missing.json'))).toThrow(/Cannot read the catalog/);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ models: [{ id: 'x' }] }));
      expect(() => loadCatalog(bad)).toThrow(/does not match the catalog schema: models\.0\./);
      expect(loadCatalog('')).toBe(MODEL_CATALOG);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
