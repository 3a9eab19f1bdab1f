import { z } from 'zod';
import { knownAnswerSchema } from './known-answers.ts';
import { modelDtypeSchema } from './model-dtype.ts';
import { TINY_MODEL_ANSWERS } from './tiny-model-answers.generated.ts';
import { TINY_MODEL_FILES } from './tiny-model-files.generated.ts';

export const modelTaskSchema = z.enum(['text-generation', 'feature-extraction']);
export type ModelTask = z.infer<typeof modelTaskSchema>;

export const engineIdSchema = z.enum(['transformers', 'web-llm']);
export type EngineId = z.infer<typeof engineIdSchema>;

/** Where an engine runs its kernels in the tab. */
export const backendSchema = z.enum(['wasm', 'webgpu']);
export type Backend = z.infer<typeof backendSchema>;

export const modelFileSchema = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
});
export type ModelFile = z.infer<typeof modelFileSchema>;

/**
 * `mirror`: the coordinator serves the files itself under `/models/<id>/` (the tiny test models, or any
 * model an operator mirrors). `hub`: the tab fetches from the Hugging Face hub (or an operator's mirror of
 * it); same loading code, another base URL.
 */
export const modelSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mirror') }),
  /** `revision`: a commit hash where known (`npm run models:hash` resolves it), so every tab loads the same bytes. */
  z.object({ kind: z.literal('hub'), repo: z.string(), revision: z.string() }),
]);
export type ModelSource = z.infer<typeof modelSourceSchema>;

/** A known prompt with a known greedy answer: the model's headline oracle, used by tests and docs (also among `knownAnswers`). */
export const modelCanarySchema = z.object({
  prompt: z.string(),
  maxTokens: z.number().int().min(1),
  expectedCompletion: z.string(),
});

export const webLlmSettingsSchema = z.object({
  /** Base URL of the MLC weights (`model` in web-llm's ModelRecord). */
  modelUrl: z.string().url(),
  /** The compiled WebGPU library; must match the pinned @mlc-ai/web-llm version's ABI. */
  modelLibUrl: z.string().url(),
  vramRequiredMiB: z.number(),
  contextWindowSize: z.number().int(),
});

export const modelCatalogEntrySchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  task: modelTaskSchema,
  engine: engineIdSchema,
  source: modelSourceSchema,
  /**
   * Every file a tab loads, with its sha256: tabs check each file against it, from peers, the mirror or
   * the hub. Empty for a hub model not hashed yet: tabs then report the hashes of what they loaded
   * (`model:attest`) and the coordinator pins them once enough tabs agree (coordinator/src/models/).
   */
  files: z.array(modelFileSchema),
  /** transformers.js dtype per backend. */
  dtype: z.partialRecord(backendSchema, modelDtypeSchema),
  backends: z.array(backendSchema).min(1),
  /** `chat-template`: the tokenizer's template formats messages; `plain`: contents joined by newlines. */
  promptFormat: z.enum(['chat-template', 'plain']),
  /**
   * How the model writes tool calls, when its chat template renders tools: `hermes` is
   * `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>` (Qwen2.5, Hermes, the tiny chat model). Null: the
   * model is not offered tools (`tools` answers 400 `unsupported_parameter`). Defaults to null so operators'
   * catalogs from before the field still load.
   */
  toolFormat: z.enum(['hermes']).nullable().default(null),
  contextLength: z.number().int().min(1),
  embeddingDimensions: z.number().int().min(1).nullable(),
  /** Approximate bytes a tab downloads to serve the model, for progress and device fit. */
  downloadBytes: z.number().int().min(0),
  /** Weight of one unit of this model's work in rewards (issue 4). */
  rewardMultiplier: z.number().min(0),
  /** Weight of one unit a guard re-scores (`guardRewardMultiplierOf`); absent: a share of `rewardMultiplier`. */
  guardRewardMultiplier: z.number().min(0).optional(),
  canary: modelCanarySchema.nullable(),
  /** Known-answer checks from a trusted reference run (`npm run models:hash`): coordinators ask them of tabs, rotated. */
  knownAnswers: z.array(knownAnswerSchema).max(32),
  webLlm: webLlmSettingsSchema.nullable(),
});
export type ModelCatalogEntry = z.infer<typeof modelCatalogEntrySchema>;

function sumBytes(files: readonly ModelFile[]): number {
  return files.reduce((total, file) => total + file.bytes, 0);
}

export const TINY_GPT2_ID = 'tessera/tiny-gpt2';
export const TINY_BERT_ID = 'tessera/tiny-bert';
export const TINY_CHAT_ID = 'tessera/tiny-chat';

/** The built-in catalog. Operators extend it with `--catalog <file.json>` (same schema). */
export const MODEL_CATALOG: readonly ModelCatalogEntry[] = [
  {
    id: TINY_GPT2_ID,
    label: 'Tiny GPT-2 (2 layers, test model shipped with Tessera)',
    task: 'text-generation',
    engine: 'transformers',
    source: { kind: 'mirror' },
    files: TINY_MODEL_FILES[TINY_GPT2_ID].files,
    dtype: { wasm: 'fp32', webgpu: 'fp32' },
    backends: ['wasm', 'webgpu'],
    promptFormat: 'plain',
    toolFormat: null,
    contextLength: TINY_MODEL_FILES[TINY_GPT2_ID].contextLength,
    embeddingDimensions: null,
    downloadBytes: sumBytes(TINY_MODEL_FILES[TINY_GPT2_ID].files),
    rewardMultiplier: 0.01,
    canary: TINY_MODEL_FILES[TINY_GPT2_ID].canary,
    knownAnswers: TINY_MODEL_ANSWERS[TINY_GPT2_ID],
    webLlm: null,
  },
  {
    id: TINY_CHAT_ID,
    label: 'Tiny chat model with tools (2 layers, test model shipped with Tessera)',
    task: 'text-generation',
    engine: 'transformers',
    source: { kind: 'mirror' },
    files: TINY_MODEL_FILES[TINY_CHAT_ID].files,
    dtype: { wasm: 'fp32', webgpu: 'fp32' },
    backends: ['wasm', 'webgpu'],
    promptFormat: 'chat-template',
    toolFormat: 'hermes',
    contextLength: TINY_MODEL_FILES[TINY_CHAT_ID].contextLength,
    embeddingDimensions: null,
    downloadBytes: sumBytes(TINY_MODEL_FILES[TINY_CHAT_ID].files),
    rewardMultiplier: 0.01,
    canary: TINY_MODEL_FILES[TINY_CHAT_ID].canary,
    knownAnswers: TINY_MODEL_ANSWERS[TINY_CHAT_ID],
    webLlm: null,
  },
  {
    id: TINY_BERT_ID,
    label: 'Tiny BERT embeddings (2 layers, test model shipped with Tessera)',
    task: 'feature-extraction',
    engine: 'transformers',
    source: { kind: 'mirror' },
    files: TINY_MODEL_FILES[TINY_BERT_ID].files,
    dtype: { wasm: 'fp32', webgpu: 'fp32' },
    backends: ['wasm', 'webgpu'],
    promptFormat: 'plain',
    toolFormat: null,
    contextLength: TINY_MODEL_FILES[TINY_BERT_ID].contextLength,
    embeddingDimensions: TINY_MODEL_FILES[TINY_BERT_ID].embeddingDimensions,
    downloadBytes: sumBytes(TINY_MODEL_FILES[TINY_BERT_ID].files),
    rewardMultiplier: 0.01,
    canary: null,
    knownAnswers: TINY_MODEL_ANSWERS[TINY_BERT_ID],
    webLlm: null,
  },
  {
    id: 'onnx-community/Qwen2.5-0.5B-Instruct',
    label: 'Qwen2.5 0.5B Instruct (transformers.js)',
    task: 'text-generation',
    engine: 'transformers',
    source: { kind: 'hub', repo: 'onnx-community/Qwen2.5-0.5B-Instruct', revision: 'main' },
    files: [],
    dtype: { wasm: 'q4', webgpu: 'q4f16' },
    backends: ['wasm', 'webgpu'],
    promptFormat: 'chat-template',
    toolFormat: 'hermes',
    contextLength: 32_768,
    embeddingDimensions: null,
    downloadBytes: 483_000_000,
    rewardMultiplier: 1,
    canary: null,
    knownAnswers: [],
    webLlm: null,
  },
  {
    id: 'Xenova/all-MiniLM-L6-v2',
    label: 'all-MiniLM-L6-v2 sentence embeddings',
    task: 'feature-extraction',
    engine: 'transformers',
    source: { kind: 'hub', repo: 'Xenova/all-MiniLM-L6-v2', revision: 'main' },
    files: [],
    dtype: { wasm: 'fp32', webgpu: 'fp32' },
    backends: ['wasm', 'webgpu'],
    promptFormat: 'plain',
    toolFormat: null,
    contextLength: 512,
    embeddingDimensions: 384,
    downloadBytes: 90_000_000,
    rewardMultiplier: 0.2,
    canary: null,
    knownAnswers: [],
    webLlm: null,
  },
  {
    id: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
    label: 'Qwen2.5 0.5B Instruct (web-llm, WebGPU only)',
    task: 'text-generation',
    engine: 'web-llm',
    source: { kind: 'hub', repo: 'mlc-ai/Qwen2.5-0.5B-Instruct-q4f16_1-MLC', revision: 'main' },
    files: [],
    dtype: { webgpu: 'q4f16' },
    backends: ['webgpu'],
    promptFormat: 'chat-template',
    toolFormat: null,
    contextLength: 4096,
    embeddingDimensions: null,
    downloadBytes: 278_000_000,
    rewardMultiplier: 1,
    canary: null,
    knownAnswers: [],
    webLlm: {
      modelUrl: 'https://huggingface.co/mlc-ai/Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
      modelLibUrl:
        'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/Qwen2-0.5B-Instruct-q4f16_1_cs1k-webgpu.wasm',
      vramRequiredMiB: 944.62,
      contextWindowSize: 4096,
    },
  },
];

export function findModel(catalog: readonly ModelCatalogEntry[], id: string): ModelCatalogEntry | undefined {
  return catalog.find((entry) => entry.id === id);
}
