import { LogitsProcessorList, StoppingCriteria, Tensor, TextStreamer, random } from '@huggingface/transformers';
import { TesseraError } from '@tessera/shared';
import { decodeGenerated, promptTokenIds } from './causal-lm.ts';
import type { CausalLm } from './causal-lm.ts';
import { finishReason } from './finish-reason.ts';
import { GeneratedTextStream, findStop } from './generated-text-stream.ts';
import type { ChatRun, GenerateRequest } from './inference-engine.ts';
import { DecodingStep } from './decoding-step.ts';
import { logitsShaping } from './logits-shaping.ts';
import { outputGrammar } from './output-grammar.ts';
import { TokenConstraint } from './token-constraint.ts';

/** Ends generation when a stop sequence matched or the run was cancelled (checked after each token). */
class FlagStoppingCriteria extends StoppingCriteria {
  readonly #shouldStop: () => boolean;

  constructor(shouldStop: () => boolean) {
    super();
    this.#shouldStop = shouldStop;
  }

  override _call(inputIds: number[][]): boolean[] {
    const stop = this.#shouldStop();
    return inputIds.map(() => stop);
  }
}

function cancelled(): TesseraError {
  return new TesseraError('task_cancelled', 'The run was cancelled.');
}

/**
 * Generates a chat answer with transformers.js, streaming text deltas. The output follows the contract
 * guards check (client/README.md, "Token ids"):
 *
 * - `tokenIds`: every generated token in order, without a final end-of-sequence token, with the tokens
 *   of a stop sequence that ended generation;
 * - `text`: `decodeGenerated(tokenIds)`, cut just before the first stop sequence;
 * - `finishReason`: `length` exactly when the token budget ran out without end-of-sequence or a stop
 *   sequence.
 */
export async function generateChat(lm: CausalLm, { task, onDelta, signal }: GenerateRequest): Promise<ChatRun> {
  if (signal?.aborted) throw cancelled();
  const promptIds = promptTokenIds(lm, task.messages, task.tools);
  const room = lm.entry.contextLength - promptIds.length;
  if (room < 1) {
    throw new TesseraError(
      'invalid_request',
      `The prompt has ${promptIds.length} tokens; ${task.model} reads at most ${lm.entry.contextLength}.`,
    );
  }
  const maxNewTokens = Math.min(task.params.maxTokens, room);
  const grammar = outputGrammar(task, lm.entry.toolFormat);
  const constraint = grammar === null ? null : await TokenConstraint.create(lm, grammar);
  try {
    return await generateWith(lm, { task, onDelta, signal }, promptIds, maxNewTokens, constraint);
  } finally {
    constraint?.dispose();
  }
}

async function generateWith(
  lm: CausalLm,
  { task, onDelta, signal }: GenerateRequest,
  promptIds: number[],
  maxNewTokens: number,
  constraint: TokenConstraint | null,
): Promise<ChatRun> {
  const greedy = task.params.temperature === 0;
  const step = new DecodingStep({
    shaping: logitsShaping(task.params),
    constraint,
    topLogprobs: task.params.topLogprobs ?? null,
    temperature: task.params.temperature,
    topP: task.params.topP,
  });
  const generated: number[] = [];
  const stream = new GeneratedTextStream(task.params.stop);
  const onToken = (tokenId: number): void => {
    step.chose(tokenId);
    generated.push(tokenId);
    const { delta } = stream.push(decodeGenerated(lm, generated));
    if (delta) onDelta?.(delta);
  };

  const logitsProcessor = new LogitsProcessorList();
  if (DecodingStep.needed(step.options)) logitsProcessor.push(step);
  // Sampling draws from transformers.js's global generator; seeding it makes a seeded request
  // repeatable when the tab runs one task at a time.
  if (!greedy) random.seed(task.params.seed ?? undefined);

  const tokenizer = lm.pipe.tokenizer;
  const length = promptIds.length;
  await lm.pipe.model.generate({
    inputs: new Tensor(
      'int64',
      BigInt64Array.from(promptIds, (id) => BigInt(id)),
      [1, length],
    ),
    attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
    max_new_tokens: maxNewTokens,
    do_sample: !greedy,
    // The decoding step applies the temperature itself, after shaping and the grammar mask, as guards do.
    ...(greedy ? {} : { temperature: 1, top_k: 0 }),
    repetition_penalty: 1,
    logits_processor: logitsProcessor,
    // Between tokens, while the model computes the next logits, the grammar computes the next mask (see
    // TokenConstraint); stopping criteria run right after each token is chosen.
    stopping_criteria: new FlagStoppingCriteria(() => stream.stopped || signal?.aborted === true),
    // Only its token callback is used: the text is decoded in full after each token (see onToken),
    // which handles stop sequences and split characters; its own word-wise text goes nowhere.
    streamer: new TextStreamer(tokenizer, {
      skip_prompt: true,
      callback_function: () => undefined,
      token_callback_function: (tokens) => {
        for (const token of tokens) onToken(Number(token));
      },
    }),
  });
  if (signal?.aborted) throw cancelled();

  // Generation stops right after an end-of-sequence token; it is not part of the answer's tokens.
  const last = generated.at(-1);
  const endedWithEos = last !== undefined && lm.eosTokenIds.has(last);
  const tokenIds = endedWithEos ? generated.slice(0, -1) : generated;
  const logprobs = task.params.topLogprobs === undefined ? undefined : step.logprobs.slice(0, tokenIds.length);
  const decoded = decodeGenerated(lm, tokenIds);
  const { delta } = stream.finish(decoded);
  if (delta) onDelta?.(delta);
  const stopAt = findStop(decoded, task.params.stop);
  const text = stopAt === null ? decoded : decoded.slice(0, stopAt);
  if (text !== stream.text)
    console.warn('chat generation: the streamed text differs from the final decoding; the result carries the decoding');
  return {
    output: {
      kind: 'chat',
      text,
      finishReason: finishReason({ generatedTokens: tokenIds.length, maxNewTokens, stoppedBySequence: stopAt !== null, endedWithEos }),
      tokenIds,
      ...(logprobs === undefined ? {} : { logprobs }),
    },
    usage: { promptTokens: promptIds.length, completionTokens: tokenIds.length },
  };
}
