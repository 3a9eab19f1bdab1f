import { TesseraError } from '@tessera/shared';
import type { CompiledGrammar, Grammar, GrammarCompiler, GrammarMatcher } from '@mlc-ai/web-xgrammar';
import { vocabularySize, type CausalLm } from './causal-lm.ts';
import type { OutputGrammar } from './output-grammar.ts';
import { loadXGrammar, type XGrammarModule } from './xgrammar-module.ts';

/** How XGrammar must read the vocabulary's strings: GPT-2 byte-level, SentencePiece byte fallback, or as they are. */
function vocabularyType(tokenizerJson: unknown): { type: 'byte_level' | 'byte_fallback' | 'raw'; prependSpace: boolean } {
  const decoder: unknown = typeof tokenizerJson === 'object' && tokenizerJson !== null ? Reflect.get(tokenizerJson, 'decoder') : null;
  const text = JSON.stringify(decoder ?? null);
  if (text.includes('"ByteLevel"')) return { type: 'byte_level', prependSpace: false };
  if (text.includes('"ByteFallback"')) return { type: 'byte_fallback', prependSpace: text.includes('"Strip"') };
  return { type: 'raw', prependSpace: text.includes('"Metaspace"') };
}

/** Every id's vocabulary string, gaps as empty strings (XGrammar indexes the list by id). */
function encodedVocabulary(lm: CausalLm): string[] {
  const vocab = lm.pipe.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
  const entries = vocab instanceof Map ? [...vocab.entries()] : Object.entries(vocab);
  const strings: string[] = [];
  for (const [token, id] of entries) strings[id] = token;
  return Array.from(strings, (token) => token ?? '');
}

/** One compiler per loaded model: it holds the tokenizer's tables and caches compiled grammars. */
const compilers = new WeakMap<CausalLm, Promise<{ compiler: GrammarCompiler; vocabSize: number }>>();

function compilerFor(lm: CausalLm): Promise<{ compiler: GrammarCompiler; vocabSize: number }> {
  let entry = compilers.get(lm);
  if (entry === undefined) {
    entry = (async () => {
      const xgrammar = await loadXGrammar();
      const strings = encodedVocabulary(lm);
      const vocabSize = Math.max(vocabularySize(lm) ?? 0, strings.length);
      const { type, prependSpace } = vocabularyType(Reflect.get(lm.pipe.tokenizer, '_tokenizerJSON'));
      const info = await xgrammar.TokenizerInfo.createTokenizerInfo(strings, type, prependSpace, vocabSize, [...lm.eosTokenIds]);
      return { compiler: await xgrammar.GrammarCompiler.createGrammarCompiler(info), vocabSize };
    })();
    compilers.set(lm, entry);
  }
  return entry;
}

/**
 * JSON as the model likes to write it (any whitespace between tokens), but at most this many whitespace
 * characters in a row: a weak model must not fill its budget with tabs inside a JSON object.
 */
const MAX_WHITESPACE_RUN = 2;

async function jsonGrammar(xgrammar: XGrammarModule, schema: Record<string, unknown>): Promise<Grammar> {
  return xgrammar.Grammar.fromJSONSchema(JSON.stringify(schema), true, undefined, undefined, true, MAX_WHITESPACE_RUN);
}

async function compile(compiler: GrammarCompiler, grammar: OutputGrammar): Promise<CompiledGrammar> {
  const xgrammar = await loadXGrammar();
  try {
    if (grammar.kind === 'json-schema') return await compiler.compileGrammar(await jsonGrammar(xgrammar, grammar.schema));
    const tags = await Promise.all(
      grammar.calls.map(async (call) => ({
        type: 'tag' as const,
        begin: call.begin,
        content: { type: 'grammar' as const, grammar: (await jsonGrammar(xgrammar, call.schema)).toString() },
        end: call.end,
      })),
    );
    return await compiler.compileStructuralTag({
      type: 'structural_tag',
      format: {
        type: 'triggered_tags',
        triggers: [grammar.trigger],
        tags,
        at_least_one: grammar.atLeastOne,
        stop_after_first: grammar.stopAfterFirst,
      },
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TesseraError('invalid_request', `The JSON schema cannot be compiled into a grammar: ${detail.slice(0, 300)}`);
  }
}

/**
 * Constrained decoding: which tokens the grammar allows next, as a bitmask over the vocabulary (bit `id & 31`
 * of word `id >> 5`), kept in step with the tokens chosen. XGrammar computes a mask asynchronously, but a
 * transformers.js logits processor runs synchronously: `accept` starts the next mask at once and `ready`
 * awaits it, which generation does while the model computes the next logits (see chat-generation.ts).
 */
export class TokenConstraint {
  readonly #matcher: GrammarMatcher;
  readonly #vocabSize: number;
  #mask: Int32Array | null = null;
  #pending: Promise<void> | null = null;
  #failure: unknown = null;

  private constructor(matcher: GrammarMatcher, vocabSize: number) {
    this.#matcher = matcher;
    this.#vocabSize = vocabSize;
  }

  static async create(lm: CausalLm, grammar: OutputGrammar): Promise<TokenConstraint> {
    const { compiler, vocabSize } = await compilerFor(lm);
    const xgrammar = await loadXGrammar();
    const compiled = await compile(compiler, grammar);
    const constraint = new TokenConstraint(await xgrammar.GrammarMatcher.createGrammarMatcher(compiled), vocabSize);
    constraint.#computeNext();
    await constraint.ready();
    return constraint;
  }

  /** Resolves once the mask for the next token is known. */
  async ready(): Promise<void> {
    await this.#pending;
    if (this.#failure !== null) throw this.#failure;
  }

  /** Whether the grammar allows `tokenId` next. Throws when the mask is not computed yet. */
  allows(tokenId: number): boolean {
    const mask = this.#currentMask();
    return tokenId >= 0 && tokenId < this.#vocabSize && ((mask[tokenId >> 5] ?? 0) >>> (tokenId & 31)) % 2 === 1;
  }

  /** Sets every entry the grammar does not allow next to −∞, in place. */
  maskRow(row: Float32Array): void {
    const mask = this.#currentMask();
    for (let id = 0; id < row.length; id++) {
      if (id >= this.#vocabSize || ((mask[id >> 5] ?? 0) >>> (id & 31)) % 2 === 0) row[id] = -Infinity;
    }
  }

  /** Moves past a chosen token; false (and no move) when the grammar does not allow it. */
  accept(tokenId: number): boolean {
    if (!this.#matcher.acceptToken(tokenId)) return false;
    this.#mask = null;
    if (!this.#matcher.isTerminated()) this.#computeNext();
    return true;
  }

  dispose(): void {
    this.#matcher.dispose();
  }

  #computeNext(): void {
    this.#pending = this.#matcher.getNextTokenBitmask().then(
      (mask) => {
        this.#mask = mask;
      },
      (error: unknown) => {
        this.#failure = error;
      },
    );
  }

  #currentMask(): Int32Array {
    if (this.#mask === null) throw new TesseraError('inference_failed', 'The grammar mask for the next token was not ready.');
    return this.#mask;
  }
}
