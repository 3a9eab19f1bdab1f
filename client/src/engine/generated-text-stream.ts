/** Where the earliest stop sequence starts in `text`, or null when none occurs. */
export function findStop(text: string, stops: readonly string[]): number | null {
  let earliest: number | null = null;
  for (const stop of stops) {
    const index = text.indexOf(stop);
    if (index !== -1 && (earliest === null || index < earliest)) earliest = index;
  }
  return earliest;
}

/**
 * Length of the longest end of `text` that could still grow into a stop sequence. Those characters
 * must not be streamed yet: if the stop completes, they are not part of the answer.
 */
export function pendingStopPrefixLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
      if (text.endsWith(stop.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

/** Decoders emit U+FFFD while a multi-byte character is split across tokens; wait for the rest. */
const INCOMPLETE_CHARACTER = '\uFFFD';

/**
 * What a tokenizer's `clean_up_tokenization_spaces` rewrites when it decodes (transformers.js and
 * Python transformers alike): a space before these is dropped. The start of one at the end of the text
 * may still be rewritten by the next token (`"a "` becomes `"a."`), so it is held back like a possible
 * stop sequence. That keeps every streamed delta a prefix of the decoding of all tokens, which is what
 * a guard checks the final text against.
 */
export const CLEANUP_PATTERNS: readonly string[] = [' .', ' ?', ' !', ' ,', " ' ", " n't", " 'm", " 's", " 've", " 're"];

export interface TextStreamStep {
  /** New text to stream now; empty when nothing is safe to show yet. */
  delta: string;
  /** A stop sequence appeared: generation should end, the answer is complete. */
  stopped: boolean;
}

/**
 * Turns "the decoded text so far" (re-decoded after every token) into ordered deltas, honouring OpenAI
 * `stop` semantics: the answer ends just before the first stop sequence, which is never streamed.
 *
 * Invariant: the concatenation of every delta returned (including `finish`'s) equals `text`, so a
 * streamed answer and the final result always agree. Text a tokenizer's clean-up could still rewrite is
 * held back (`CLEANUP_PATTERNS`), so `text` is also a prefix of the final decoding.
 */
export class GeneratedTextStream {
  readonly #stops: readonly string[];
  #emitted = '';
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  get text(): string {
    return this.#emitted;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Feed the full decoded text after a new token. */
  push(decoded: string): TextStreamStep {
    if (this.#stopped) return { delta: '', stopped: true };
    const stopAt = findStop(decoded, this.#stops);
    if (stopAt !== null) {
      this.#stopped = true;
      return { delta: this.#advanceTo(decoded, stopAt), stopped: true };
    }
    const pending = Math.max(pendingStopPrefixLength(decoded, this.#stops), pendingStopPrefixLength(decoded, CLEANUP_PATTERNS));
    let safe = decoded.length - pending;
    while (safe > 0 && decoded[safe - 1] === INCOMPLETE_CHARACTER) safe--;
    return { delta: this.#advanceTo(decoded, safe), stopped: false };
  }

  /** Feed the final decoded text once generation ended; flushes what was held back. */
  finish(decoded: string): TextStreamStep {
    if (this.#stopped) return { delta: '', stopped: true };
    const stopAt = findStop(decoded, this.#stops);
    if (stopAt !== null) this.#stopped = true;
    return { delta: this.#advanceTo(decoded, stopAt ?? decoded.length), stopped: this.#stopped };
  }

  #advanceTo(decoded: string, end: number): string {
    if (end <= this.#emitted.length) return '';
    const delta = decoded.slice(this.#emitted.length, end);
    this.#emitted += delta;
    return delta;
  }
}
