import { TesseraError } from '@tessera/shared';
import type * as XGrammar from '@mlc-ai/web-xgrammar';

export type XGrammarModule = typeof XGrammar;

let loading: Promise<XGrammarModule> | null = null;

/**
 * XGrammar (the grammar engine of vLLM, SGLang and web-llm), loaded on first use: most tabs never constrain
 * an output, and the package is a megabyte of inlined WebAssembly. It ships a UMD bundle that, loaded as an
 * ES module, defines itself on `globalThis.xgrammar` rather than exporting (Node tests alias the package to
 * a CommonJS loader, client/test-support/web-xgrammar-node.ts).
 */
export function loadXGrammar(): Promise<XGrammarModule> {
  const loaded: unknown = Reflect.get(globalThis, 'xgrammar');
  // Already on the global (Node benchmarks load it as CommonJS first: client/test-support/web-xgrammar-node.ts).
  if (typeof loaded === 'object' && loaded !== null && 'GrammarMatcher' in loaded) loading ??= Promise.resolve(loaded as XGrammarModule);
  loading ??= import('@mlc-ai/web-xgrammar').then((imported: unknown) => {
    // Depending on the bundler the exports are on the module, on its default (CommonJS interop), or global.
    const candidates: unknown[] = [imported, Reflect.get(Object(imported), 'default'), Reflect.get(globalThis, 'xgrammar')];
    const candidate = candidates.find((value) => typeof value === 'object' && value !== null && 'GrammarMatcher' in value);
    if (candidate === undefined) {
      throw new TesseraError('internal_error', 'The grammar engine (XGrammar) did not load.');
    }
    return candidate as XGrammarModule;
  });
  return loading;
}
