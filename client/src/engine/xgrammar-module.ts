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
  loading ??= import('@mlc-ai/web-xgrammar').then((imported: unknown) => {
    const fromGlobal: unknown = Reflect.get(globalThis, 'xgrammar');
    const candidate = typeof fromGlobal === 'object' && fromGlobal !== null ? fromGlobal : imported;
    if (typeof candidate !== 'object' || candidate === null || !('GrammarMatcher' in candidate)) {
      throw new TesseraError('internal_error', 'The grammar engine (XGrammar) did not load.');
    }
    return candidate as XGrammarModule;
  });
  return loading;
}
