#!/usr/bin/env -S npx tsx
import { MODEL_CATALOG, modelCatalogFileSchema } from '@tessera/shared';
import type { KnownAnswer, ModelCatalogEntry } from '@tessera/shared';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { httpHubClient } from './hub-client.ts';
import { hashHubModels } from './model-hasher.ts';
import { referenceAnswers } from './reference-runner.ts';
import { TINY_ANSWERS_FILE, renderTinyAnswers } from './tiny-answers-file.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const HELP = `Usage: npm run models:hash -- [options]

Pins hub models: resolves each hub entry's revision to its commit, downloads the files a tab loads, hashes
them, runs the model in transformers.js (onnxruntime-node) over fixed canary prompts at greedy decoding, and
writes a catalog file for the coordinator's --catalog.

  --hub-url <url>      the hub or a mirror in its URL shape (default: TESSERA_HUB_URL or https://huggingface.co)
  --catalog <file>     hash the hub entries of this catalog file (default: the built-in catalog's hub entries)
  --models <ids>       only these entry ids, comma-separated
  --out <file>         where to write the catalog (default: hub-catalog.json)
  --tiny               instead, regenerate ${TINY_ANSWERS_FILE} from the tiny models in coordinator/models
  --help               show this help

HF_TOKEN, when set, is sent to the hub for gated repositories.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'hub-url': { type: 'string' },
      catalog: { type: 'string' },
      models: { type: 'string' },
      out: { type: 'string' },
      tiny: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.tiny) {
    const answers: Record<string, KnownAnswer[]> = {};
    for (const entry of MODEL_CATALOG.filter((candidate) => candidate.source.kind === 'mirror')) {
      answers[entry.id] = await referenceAnswers({ entry, folder: join(repoRoot, 'coordinator/models'), name: entry.id });
      console.log(`${entry.id}: ${answers[entry.id]?.length ?? 0} known answer(s)`);
    }
    writeFileSync(join(repoRoot, TINY_ANSWERS_FILE), renderTinyAnswers(answers));
    console.log(`wrote ${TINY_ANSWERS_FILE}`);
    return;
  }
  let entries: readonly ModelCatalogEntry[] = MODEL_CATALOG.filter((entry) => entry.source.kind === 'hub');
  if (values.catalog !== undefined) entries = modelCatalogFileSchema.parse(JSON.parse(readFileSync(values.catalog, 'utf8'))).models;
  if (values.models !== undefined) {
    const wanted = new Set(values.models.split(',').map((id) => id.trim()));
    entries = entries.filter((entry) => wanted.has(entry.id));
  }
  const hubUrl = values['hub-url'] ?? process.env.TESSERA_HUB_URL ?? 'https://huggingface.co';
  const workDir = mkdtempSync(join(tmpdir(), 'tessera-hash-'));
  try {
    const models = await hashHubModels({
      hub: httpHubClient(hubUrl, { token: process.env.HF_TOKEN }),
      entries,
      workDir,
      log: (message) => console.log(message),
    });
    const out = resolve(values.out ?? 'hub-catalog.json');
    writeFileSync(out, `${JSON.stringify({ models }, null, 2)}\n`);
    console.log(`wrote ${models.length} model(s) to ${out}; serve them with --catalog ${out}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
