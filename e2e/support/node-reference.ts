import { env, pipeline } from '@huggingface/transformers';
import { fileURLToPath } from 'node:url';

/**
 * The same tiny models run by transformers.js in Node (onnxruntime-node), fully offline: the reference
 * the browser tabs' answers are compared with.
 */
env.allowRemoteModels = false;
env.localModelPath = fileURLToPath(new URL('../../coordinator/models/', import.meta.url));

export async function referenceGreedyCompletion(model: string, prompt: string, maxNewTokens: number): Promise<string> {
  const generator = await pipeline('text-generation', model, { dtype: 'fp32' });
  const output = await generator(prompt, { max_new_tokens: maxNewTokens, do_sample: false, return_full_text: false });
  await generator.dispose();
  const first = Array.isArray(output) ? output[0] : undefined;
  const text = first !== undefined && 'generated_text' in first ? first.generated_text : undefined;
  if (typeof text !== 'string') throw new Error('unexpected text-generation output');
  return text;
}

export async function referenceEmbeddings(model: string, texts: string[]): Promise<number[][]> {
  const extractor = await pipeline('feature-extraction', model, { dtype: 'fp32' });
  const tensor = await extractor(texts, { pooling: 'mean', normalize: true });
  const vectors = tensor.tolist();
  await extractor.dispose();
  return vectors;
}
