import { Tensor } from '@huggingface/transformers';
import { TesseraError } from '@tessera/shared';
import type { ChatEvidence, TokenLogprob, TokenScore } from '@tessera/shared';
import { decodeGenerated, promptTokenIds, vocabularySize } from './causal-lm.ts';
import type { CausalLm } from './causal-lm.ts';
import type { ScoreRequest } from './inference-engine.ts';
import { logitsShaping, shapeRow, TokenCounts } from './logits-shaping.ts';
import { outputGrammar } from './output-grammar.ts';
import { TokenConstraint } from './token-constraint.ts';
import { RowLogprobs } from './token-logprobs.ts';
import { bestTokenScore, scoreToken } from './token-score.ts';

function cancelled(): TesseraError {
  return new TesseraError('task_cancelled', 'The check was cancelled.');
}

function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

function finite(score: TokenScore): boolean {
  return Number.isFinite(score.chosenLogit) && Number.isFinite(score.maxLogit) && Number.isFinite(score.logProb);
}

/** Ids inside the model's vocabulary may still be unknown to its tokenizer (padding rows); they decode to nothing. */
function decodeClaim(lm: CausalLm, tokenIds: readonly number[]): string {
  try {
    return decodeGenerated(lm, tokenIds);
  } catch {
    return '';
  }
}

/**
 * A guard's evidence about claimed chat tokens, from ONE forward pass of the causal LM over the prompt
 * (built exactly as generation builds it) followed by the claimed tokens: no generation loop. The
 * logits row at position `promptLength − 1 + i` is the model's prediction for claimed token `i`; the row
 * after the last claimed token scores the end-of-sequence token (the best of them, if several).
 *
 * A claim that cannot be the model's output at all (an id outside the vocabulary, more tokens than the
 * context leaves room for) is refused with `invalid_request` before any work; a guard turns that into an
 * `invalid` verdict. Anything the engine itself gets wrong (non-finite logits, a failed session run) is
 * `inference_failed`: the guard could not check.
 *
 * Each row is first shaped as generation shaped it (logit bias, penalties over the claimed tokens before
 * it, the task's grammar mask: see DecodingStep), so a greedy token must be the best *allowed* token, and a
 * token the grammar forbids makes the claim invalid outright.
 */
export async function scoreChat(lm: CausalLm, { task, tokenIds, signal }: ScoreRequest): Promise<ChatEvidence> {
  if (signal?.aborted) throw cancelled();
  const promptIds = promptTokenIds(lm, task.messages, task.tools);
  const promptLength = promptIds.length;
  if (promptLength === 0)
    throw new TesseraError('invalid_request', 'The prompt encodes to no tokens; there is nothing to predict the first token from.');
  if (promptLength + tokenIds.length > lm.entry.contextLength) {
    throw new TesseraError(
      'invalid_request',
      `${promptLength} prompt tokens and ${tokenIds.length} claimed tokens exceed ${task.model}'s context of ${lm.entry.contextLength}: no tab could have generated them.`,
    );
  }
  const vocabulary = vocabularySize(lm);
  const outside = vocabulary === null ? -1 : tokenIds.findIndex((id) => id >= vocabulary);
  if (outside !== -1) {
    throw new TesseraError(
      'invalid_request',
      `Claimed token ${outside} (id ${tokenIds[outside]}) is outside ${task.model}'s vocabulary of ${vocabulary}.`,
    );
  }

  const ids = [...promptIds, ...tokenIds];
  const length = ids.length;
  const outputs: unknown = await lm.pipe.model({
    input_ids: new Tensor(
      'int64',
      BigInt64Array.from(ids, (id) => BigInt(id)),
      [1, length],
    ),
    attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
  });
  const produced = typeof outputs === 'object' && outputs !== null ? Object.values(outputs).filter(isTensor) : [];
  try {
    if (signal?.aborted) throw cancelled();
    const logitsTensor: unknown = typeof outputs === 'object' && outputs !== null ? Reflect.get(outputs, 'logits') : undefined;
    if (!isTensor(logitsTensor)) throw new TesseraError('inference_failed', 'The forward pass returned no logits.');
    const [batch, rows, vocab] = logitsTensor.dims;
    // A session may compute only the trailing rows (`num_logits_to_keep`); row r is position length − rows + r.
    if (batch !== 1 || rows === undefined || vocab === undefined || rows < tokenIds.length + 1 || rows > length) {
      throw new TesseraError('inference_failed', `Unexpected logits shape [${logitsTensor.dims.join(', ')}] for ${length} positions.`);
    }
    const logits = logitsTensor.type === 'float32' ? logitsTensor : logitsTensor.to('float32');
    const data = logits.data;
    if (!(data instanceof Float32Array)) throw new TesseraError('inference_failed', `Logits of type ${logits.type} could not be read.`);
    const firstRow = length - rows;
    const row = (position: number): Float32Array => {
      const index = position - firstRow;
      return data.subarray(index * vocab, (index + 1) * vocab);
    };
    const temperature = task.params.temperature;
    const shaping = logitsShaping(task.params);
    const topLogprobs = task.params.topLogprobs;
    const grammar = outputGrammar(task, lm.entry.toolFormat);
    const constraint = grammar === null ? null : await TokenConstraint.create(lm, grammar);
    const counts = new TokenCounts();
    const shaped = (position: number): Float32Array => {
      const copy = row(position).slice();
      if (shaping !== null) shapeRow(copy, shaping, counts);
      constraint?.maskRow(copy);
      return copy;
    };
    try {
      const scores: TokenScore[] = [];
      const logprobs: TokenLogprob[] = [];
      for (const [i, tokenId] of tokenIds.entries()) {
        if (constraint !== null && !constraint.allows(tokenId))
          throw new TesseraError('invalid_request', `Claimed token ${i} (id ${tokenId}) is not allowed by the task's output grammar.`);
        const logits = shaped(promptLength - 1 + i);
        scores.push(scoreToken(logits, tokenId, temperature));
        if (topLogprobs !== undefined) logprobs.push(new RowLogprobs(logits).entry(tokenId, topLogprobs));
        counts.add(tokenId);
        if (constraint !== null) {
          constraint.accept(tokenId);
          await constraint.ready();
        }
        if (signal?.aborted) throw cancelled();
      }
      const endIds = [...lm.eosTokenIds].filter((id) => constraint === null || constraint.allows(id));
      const endScore = bestTokenScore(shaped(length - 1), endIds, temperature);
      if (!scores.every(finite) || (endScore !== null && !finite(endScore))) {
        throw new TesseraError('inference_failed', 'The model produced non-finite logits on this device.');
      }
      return {
        kind: 'chat',
        scores,
        decodedText: decodeClaim(lm, tokenIds),
        endScore,
        promptTokens: promptLength,
        ...(topLogprobs === undefined ? {} : { logprobs }),
      };
    } finally {
      constraint?.dispose();
    }
  } finally {
    // WebGPU sessions keep their key/value outputs in GPU buffers; free them now, not at garbage collection.
    for (const tensor of produced) if (tensor.location === 'gpu-buffer') tensor.dispose();
  }
}
