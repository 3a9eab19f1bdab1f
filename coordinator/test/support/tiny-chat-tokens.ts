import { MODEL_CATALOG, TINY_CHAT_ID, decodeGenerated, findModel } from '@tessera/shared';
import type { TaskOutput, WorkTokenizer } from '@tessera/shared';
import { loadConfig } from '../../src/config.ts';
import { loadTokenizer } from '../../src/work/tokenizer-loader.ts';

type ChatOutput = Extract<TaskOutput, { kind: 'chat' }>;

const tinyChat = findModel(MODEL_CATALOG, TINY_CHAT_ID);
if (tinyChat === undefined) throw new Error(`${TINY_CHAT_ID} is not in the catalog`);

/**
 * The tiny chat model's tokenizer (byte-level BPE, with the Hermes tool-call template), loaded from the
 * coordinator's mirror as the coordinator loads it, so scripted answers carry the token ids it counts.
 */
export const tinyChatTokenizer: WorkTokenizer = await loadTokenizer(tinyChat, {
  modelsDir: loadConfig({}).modelsDir,
  hubUrl: 'http://127.0.0.1:9',
});

/** A tiny-chat output as an honest tab would send it for `text`: its token ids, and the text they decode to. */
export function tinyChatOutput(text: string, finishReason: ChatOutput['finishReason'] = 'stop'): ChatOutput {
  const tokenIds = tinyChatTokenizer.encode(text, { add_special_tokens: false });
  return { kind: 'chat', text: decodeGenerated(tinyChatTokenizer, tokenIds), finishReason, tokenIds };
}
