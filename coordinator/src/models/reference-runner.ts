import { decodeGenerated, entryDtypes, promptTokenIds } from '@tessera/shared';
import type { ChatKnownAnswer, EmbeddingKnownAnswer, KnownAnswer, ModelCatalogEntry, ModelDtype } from '@tessera/shared';

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

/**
 * A greedy step must win by this many logits, at every position, for its answer to be a known answer. The
 * tiny models win by more than 10; runtimes differ by about 1e-5 in fp32 and more in fp16 (guards accept
 * 0.05): an answer that hinges on a near tie could flip on an honest device and refuse it.
 */
export const MIN_CANARY_MARGIN_LOGITS = 0.25;

/** float32 values need 9 significant digits to come back exactly; fewer would only shorten the files. */
function roundFloat32(value: number): number {
  return Number(value.toPrecision(9));
}

export interface ReferenceInputs {
  prompts?: readonly string[];
  texts?: readonly string[];
  maxTokens?: number;
  /** Told why a dtype or an answer was left out. */
  log?: (message: string) => void;
}

/**
 * The trusted reference run: the catalog entry's model in transformers.js on Node (onnxruntime-node,
 * offline, from local files), the same library and prompt building tabs use (`promptTokenIds`,
 * `decodeGenerated`), at greedy decoding, once per weight type the entry loads (a WebGPU tab may load
 * other weights than a WASM one; each answer names its dtype, and a dtype Node cannot run gets none).
 * Chat models answer their canary and `CANARY_PROMPTS` (`chatPrompts`), keeping answers that are neither
 * empty nor decided by a near tie (`MIN_CANARY_MARGIN_LOGITS`); embedding models embed `CANARY_TEXTS`
 * (mean pooling, normalized, as tabs do). Greedy token ids are identical across Node and the browser backends (DESIGN.md §9), so an honest
 * tab gives these answers exactly.
 */
export async function referenceAnswers(model: ReferenceModel, inputs: ReferenceInputs = {}): Promise<KnownAnswer[]> {
  const { env } = await import('@huggingface/transformers');
  const saved = { local: env.allowLocalModels, remote: env.allowRemoteModels, path: env.localModelPath };
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = model.folder.endsWith('/') ? model.folder : `${model.folder}/`;
  try {
    const answers: KnownAnswer[] = [];
    for (const dtype of entryDtypes(model.entry)) {
      try {
        answers.push(...(await answersFor(model, dtype, inputs)));
      } catch (error) {
        inputs.log?.(`${model.entry.id}: no known answers for ${dtype}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return answers;
  } finally {
    env.allowLocalModels = saved.local;
    env.allowRemoteModels = saved.remote;
    env.localModelPath = saved.path;
  }
}

async function answersFor(model: ReferenceModel, dtype: ModelDtype, inputs: ReferenceInputs): Promise<KnownAnswer[]> {
  const { pipeline, Tensor } = await import('@huggingface/transformers');
  const { entry } = model;
  switch (entry.task) {
    case 'text-generation': {
      const pipe = await pipeline('text-generation', model.name, { dtype, device: 'cpu' });
      const answers: ChatKnownAnswer[] = [];
      const ids = (values: readonly number[]) =>
        new Tensor(
          'int64',
          BigInt64Array.from(values, (id) => BigInt(id)),
          [1, values.length],
        );
      const mask = (length: number) => new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
      try {
        const eos = endOfSequenceIds([
          pipe.model.generation_config?.eos_token_id,
          Reflect.get(pipe.model.config, 'eos_token_id'),
          pipe.tokenizer.eos_token_id,
        ]);
        for (const { prompt, budget } of chatPrompts(entry, inputs)) {
          const promptIds = promptTokenIds(pipe.tokenizer, entry.promptFormat, [{ role: 'user', content: prompt }]);
          const maxTokens = Math.min(budget, entry.contextLength - promptIds.length);
          if (maxTokens < 1) continue;
          const output: unknown = await pipe.model.generate({
            inputs: ids(promptIds),
            attention_mask: mask(promptIds.length),
            max_new_tokens: maxTokens,
            do_sample: false,
            repetition_penalty: 1,
          });
          if (!(output instanceof Tensor) || !(output.data instanceof BigInt64Array)) throw new Error('generate returned no token ids');
          const generated = Array.from(output.data.subarray(promptIds.length), (id) => Number(id));
          // As tabs do (client/src/engine/chat-generation.ts): a final end-of-sequence token is not part of the answer.
          const last = generated.at(-1);
          const endedWithEos = last !== undefined && eos.has(last);
          const tokenIds = endedWithEos ? generated.slice(0, -1) : generated;
          // An empty answer tells nothing: a broken device that ends at once would give it too.
          if (tokenIds.length === 0) continue;
          // One forward pass over prompt + answer, as a guard scores it: how far each greedy choice won.
          const all = [...promptIds, ...generated];
          const forward: unknown = await pipe.model({ input_ids: ids(all), attention_mask: mask(all.length) });
          const logits: unknown = typeof forward === 'object' && forward !== null ? Reflect.get(forward, 'logits') : undefined;
          if (!(logits instanceof Tensor) || !(logits.data instanceof Float32Array)) throw new Error('the forward pass returned no logits');
          const margin = smallestMargin(logits.data, logits.dims, promptIds.length, generated.length);
          if (margin < MIN_CANARY_MARGIN_LOGITS) {
            inputs.log?.(
              `${entry.id} (${dtype}): left out ${JSON.stringify(prompt)}: a greedy step won by only ${margin.toFixed(3)} logits`,
            );
            continue;
          }
          answers.push({
            kind: 'chat',
            prompt,
            maxTokens,
            expectedCompletion: decodeGenerated(pipe.tokenizer, tokenIds),
            finishReason: endedWithEos || tokenIds.length < maxTokens ? 'stop' : 'length',
            dtype,
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
          answers.push({ kind: 'embeddings', text, expectedVector: vector.map(roundFloat32), dtype });
        }
      } finally {
        await pipe.dispose();
      }
      return answers;
    }
  }
}

/**
 * The prompts a chat model's known answers ask: `inputs.prompts` if given; otherwise the entry's headline
 * canary first, at its own budget (so it is among the known answers, as the catalog promises, also for a model
 * whose canary is none of `CANARY_PROMPTS`), then the rest of `CANARY_PROMPTS`.
 */
function chatPrompts(entry: ModelCatalogEntry, inputs: ReferenceInputs): { prompt: string; budget: number }[] {
  const budget = inputs.maxTokens ?? CANARY_MAX_TOKENS;
  if (inputs.prompts !== undefined) return inputs.prompts.map((prompt) => ({ prompt, budget }));
  const canary = entry.canary === null ? [] : [{ prompt: entry.canary.prompt, budget: inputs.maxTokens ?? entry.canary.maxTokens }];
  const rest = CANARY_PROMPTS.filter((prompt) => prompt !== entry.canary?.prompt).map((prompt) => ({ prompt, budget }));
  return [...canary, ...rest];
}

/**
 * The least lead of the best logit over the runner-up at the positions that chose generated tokens
 * (rows `promptLength − 1 … promptLength + generated − 2`); logits are `[1, rows, vocab]`, rows counted from the end.
 */
function smallestMargin(data: Float32Array, dims: readonly number[], promptLength: number, generated: number): number {
  const rows = dims[1] ?? 0;
  const vocab = dims[2] ?? 0;
  const total = promptLength + generated;
  let smallest = Infinity;
  for (let i = 0; i < generated; i++) {
    const index = promptLength - 1 + i - (total - rows);
    if (index < 0) return -Infinity;
    const row = data.subarray(index * vocab, (index + 1) * vocab);
    let best = -Infinity;
    let second = -Infinity;
    for (const value of row) {
      if (value > best) {
        second = best;
        best = value;
      } else if (value > second) {
        second = value;
      }
    }
    smallest = Math.min(smallest, best - second);
  }
  return smallest;
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
