import { TINY_GPT2_ID, decodeGenerated, findModel, MODEL_CATALOG } from '@tessera/shared';
import type { TaskOutput, WorkTokenizer } from '@tessera/shared';
import { loadConfig } from '../../src/config.ts';
import { loadTokenizer } from '../../src/work/tokenizer-loader.ts';

type ChatOutput = Extract<TaskOutput, { kind: 'chat' }>;

const tinyGpt2 = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (tinyGpt2 === undefined) throw new Error(`${TINY_GPT2_ID} is not in the catalog`);

/**
 * The tiny GPT-2's tokenizer, loaded from the coordinator's mirror as the coordinator loads it: scripted
 * tabs give their answers real token ids, so the coordinator's own count of their work holds.
 */
export const tinyGpt2Tokenizer: WorkTokenizer = await loadTokenizer(tinyGpt2, {
  modelsDir: loadConfig({}).modelsDir,
  hubUrl: 'http://127.0.0.1:9',
});

/**
 * A chat output as an honest tab would send it for `text`: the text's token ids, and the text those ids
 * decode to (byte-level BPE round-trips, so that is `text` itself).
 */
export function chatOutput(text: string, finishReason: ChatOutput['finishReason'] = 'stop'): ChatOutput {
  const tokenIds = tinyGpt2Tokenizer.encode(text, { add_special_tokens: false });
  return { kind: 'chat', text: decodeGenerated(tinyGpt2Tokenizer, tokenIds), finishReason, tokenIds };
}
