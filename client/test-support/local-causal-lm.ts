import { env, pipeline } from '@huggingface/transformers';
import { MODEL_CATALOG, findModel } from '@tessera/shared';
import { fileURLToPath } from 'node:url';
import { causalLm } from '../src/engine/causal-lm.ts';
import type { CausalLm } from '../src/engine/causal-lm.ts';

/**
 * For tests in Node: a mirrored catalog model loaded by transformers.js (onnxruntime-node) straight from
 * coordinator/models/, fully offline. Generation and scoring then run the very code the engine worker
 * runs in a tab.
 */
export async function loadLocalCausalLm(modelId: string): Promise<CausalLm> {
  const entry = findModel(MODEL_CATALOG, modelId);
  if (entry === undefined || entry.task !== 'text-generation') throw new Error(`${modelId} is not a text-generation model in the catalog`);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = fileURLToPath(new URL('../../coordinator/models/', import.meta.url));
  const pipe = await pipeline('text-generation', modelId, { dtype: 'fp32' });
  return causalLm(entry, pipe);
}
