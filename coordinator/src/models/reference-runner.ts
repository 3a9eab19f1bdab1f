import { decodeGenerated, promptTokenIds } from '@tessera/shared';
import type { ChatKnownAnswer, EmbeddingKnownAnswer, KnownAnswer, ModelCatalogEntry } from '@tessera/shared';

/** The fixed prompts of the known-answer checks of every chat model: short, so a check costs a tab little. */
export const CANARY_PROMPTS: readonly string[] = [
  'Tessera',
  'The volunteer network',
  'Write one sentence about the sea.',
  'What is two plus three?',
  'Name three colours.',
];
/** Tokens each chat canary generates at most. */
export const CANARY_MAX_TOKENS = 16;
/** The fixed texts of the known-answer checks of every embedding model. */
export const CANARY_TEXTS: readonly string[] = [
  'Tessera is a volunteer network for AI inference in web browsers.',
  'The quick brown fox jumps over the lazy dog.',
  'Browsers can run small language models.',
];

export interface ReferenceModel {
  entry: ModelCatalogEntry;
  /** Folder under which the model's files lie at `<folder>/<name>/…` (the hub layout: `name` is the repo). */
  folder: string;
  name: string;
}

/** float32 values need 9 significant digits to come back exactly; fewer would only shorten the files. */
function roundFloat32(value: number): number {
  return Number(value.toPrecision(9));
}

/**
 * The trusted reference run: the catalog entry's model in transformers.js on Node (onnxruntime-node,
 * offline, from local files), the same library and prompt building tabs use (`promptTokenIds`,
 * `decodeGenerated`), at greedy decoding. Chat models answer `CANARY_PROMPTS`, embedding models embed
 * `CANARY_TEXTS` (mean pooling, normalized, as tabs do). Greedy token ids are identical across Node and
 * the browser backends (DESIGN.md §9), so an honest tab gives these answers exactly.
 */
export async function referenceAnswers(
  model: ReferenceModel,
  inputs: { prompts?: readonly string[]; texts?: readonly string[]; maxTokens?: number } = {},
): Promise<KnownAnswer[]> {
  const { env, pipeline, Tensor } = await import('@huggingface/transformers');
  const saved = { local: env.allowLocalModels, remote: env.allowRemoteModels, path: env.localModelPath };
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = model.folder.endsWith('/') ? model.folder : `${model.folder}/`;
  const { entry } = model;
  const dtype = entry.dtype.wasm ?? entry.dtype.webgpu ?? 'fp32';
  try {
    switch (entry.task) {
      case 'text-generation': {
        const pipe = await pipeline('text-generation', model.name, { dtype, device: 'cpu' });
        const answers: ChatKnownAnswer[] = [];
        try {
          const eos = endOfSequenceIds([
            pipe.model.generation_config?.eos_token_id,
            Reflect.get(pipe.model.config, 'eos_token_id'),
            pipe.tokenizer.eos_token_id,
          ]);
          for (const prompt of inputs.prompts ?? CANARY_PROMPTS) {
            const promptIds = promptTokenIds(pipe.tokenizer, entry.promptFormat, [{ role: 'user', content: prompt }]);
            const maxTokens = Math.min(inputs.maxTokens ?? CANARY_MAX_TOKENS, entry.contextLength - promptIds.length);
            if (maxTokens < 1) continue;
            const length = promptIds.length;
            const output: unknown = await pipe.model.generate({
              inputs: new Tensor(
                'int64',
                BigInt64Array.from(promptIds, (id) => BigInt(id)),
                [1, length],
              ),
              attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
              max_new_tokens: maxTokens,
              do_sample: false,
              repetition_penalty: 1,
            });
            if (!(output instanceof Tensor) || !(output.data instanceof BigInt64Array)) throw new Error('generate returned no token ids');
            const generated = Array.from(output.data.subarray(length), (id) => Number(id));
            // As tabs do (client/src/engine/chat-generation.ts): a final end-of-sequence token is not part of the answer.
            const last = generated.at(-1);
            const endedWithEos = last !== undefined && eos.has(last);
            const tokenIds = endedWithEos ? generated.slice(0, -1) : generated;
            // An empty answer tells nothing: a broken device that ends at once would give it too.
            if (tokenIds.length === 0) continue;
            answers.push({
              kind: 'chat',
              prompt,
              maxTokens,
              expectedCompletion: decodeGenerated(pipe.tokenizer, tokenIds),
              finishReason: endedWithEos || tokenIds.length < maxTokens ? 'stop' : 'length',
            });
          }
        } finally {
          await pipe.dispose();
        }
        return answers;
      }
      case 'feature-extraction': {
        const pipe = await pipeline('feature-extraction', model.name, { dtype, device: 'cpu' });
        const answers: EmbeddingKnownAnswer[] = [];
        try {
          for (const text of inputs.texts ?? CANARY_TEXTS) {
            const tensor = await pipe([text], { pooling: 'mean', normalize: true });
            const [vector] = tensor.tolist() as number[][];
            if (vector === undefined) throw new Error('the embedding pipeline returned no vector');
            answers.push({ kind: 'embeddings', text, expectedVector: vector.map(roundFloat32) });
          }
        } finally {
          await pipe.dispose();
        }
        return answers;
      }
    }
  } finally {
    env.allowLocalModels = saved.local;
    env.allowRemoteModels = saved.remote;
    env.localModelPath = saved.path;
  }
}

/** Every id that ends a sequence, from the generation config, the model config and the tokenizer (as tabs collect them). */
function endOfSequenceIds(values: readonly unknown[]): Set<number> {
  const ids = new Set<number>();
  const add = (value: unknown): void => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) ids.add(value);
    else if (Array.isArray(value)) for (const item of value) add(item);
  };
  for (const value of values) add(value);
  return ids;
}
