import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * `@mlc-ai/web-xgrammar` for Node tests. Its UMD bundle sits in a `"type": "module"` package, so Node loads
 * it as an ES module, where its Node branch finds no `require`. Evaluated here as the CommonJS module it
 * is, it exports normally. Browsers load the package itself (client/src/engine/xgrammar-module.ts).
 */
const require = createRequire(import.meta.url);
const file = require.resolve('@mlc-ai/web-xgrammar');
const module = { exports: {} as Record<string, unknown> };
// Its Node branch also imports `module` dynamically, which code built by `Function` cannot: hand it over.
const source = readFileSync(file, 'utf8').replaceAll("await import('module')", 'nodeModule');
new Function('exports', 'module', 'require', '__filename', 'nodeModule', source)(
  module.exports,
  module,
  require,
  file,
  await import('node:module'),
);

export const { CompiledGrammar, Grammar, GrammarCompiler, GrammarMatcher, StructuralTagItem, Testings, TokenizerInfo } = module.exports;
// Scripts run with tsx have no alias: the engine takes the module from the global when it is there.
Reflect.set(globalThis, 'xgrammar', module.exports);
export default module.exports;
