// `npm run bench:grammar`: what constrained decoding and logit shaping cost in a tab's engine, measured in Node
// (onnxruntime-node, the code the engine worker runs) on the tiny test models. Prints figures; asserts nothing.
import '../test-support/web-xgrammar-node.ts';
import { TINY_CHAT_CANARIES, TINY_CHAT_ID, TINY_GPT2_ID, type ChatTaskSpec } from '@tessera/shared';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { CausalLm } from '../src/engine/causal-lm.ts';
import { generateChat } from '../src/engine/chat-generation.ts';
import { scoreChat } from '../src/engine/chat-scoring.ts';
import { loadLocalCausalLm } from '../test-support/local-causal-lm.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log(`npm run bench:grammar [-- --runs N]

Greedy generation and a guard's one-pass scoring on the tiny models, plain and under each kind of shaping the
API offers (a JSON schema, tools, log probabilities, logit bias and penalties): tokens/s, grammar set-up time
per task, and scoring time. --runs N repeats each case N times (default 20) after one warm-up.`);
  process.exit(0);
}
const runs = Math.max(1, Number(values.runs));

interface Case {
  name: string;
  model: string;
  task: (params: ChatTaskSpec['params']) => ChatTaskSpec;
}

const greedy: ChatTaskSpec['params'] = { maxTokens: 60, temperature: 0, topP: 1, seed: null, stop: [] };
const question =
  (model: string, content: string, extra: Partial<ChatTaskSpec> = {}) =>
  (params: ChatTaskSpec['params']) =>
    ({ kind: 'chat', model, messages: [{ role: 'user', content }], params, ...extra }) as ChatTaskSpec;
const weather = TINY_CHAT_CANARIES.find((entry) => entry.name === 'tool-call');
const weatherTool = weather?.tools?.[0]?.function;
const schema = { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' } }, required: ['name', 'kind'] };

const cases: Case[] = [
  { name: 'tiny-gpt2, plain', model: TINY_GPT2_ID, task: question(TINY_GPT2_ID, 'Tessera') },
  {
    name: 'tiny-gpt2, JSON schema (forced off its prose)',
    model: TINY_GPT2_ID,
    task: question(TINY_GPT2_ID, 'Tessera', { responseFormat: { type: 'json_schema', schema } }),
  },
  {
    name: 'tiny-gpt2, top 5 logprobs + bias + penalties',
    model: TINY_GPT2_ID,
    task: (params) => question(TINY_GPT2_ID, 'Tessera')({ ...params, topLogprobs: 5, logitBias: { '9': -2 }, frequencyPenalty: 0.5 }),
  },
  { name: 'tiny-chat, plain', model: TINY_CHAT_ID, task: question(TINY_CHAT_ID, 'Describe Tessera as JSON.') },
  {
    name: 'tiny-chat, JSON schema',
    model: TINY_CHAT_ID,
    task: question(TINY_CHAT_ID, 'Describe Tessera as JSON.', { responseFormat: { type: 'json_schema', schema } }),
  },
  {
    name: 'tiny-chat, tools (a call)',
    model: TINY_CHAT_ID,
    task: question(TINY_CHAT_ID, weather?.messages[0]?.content ?? '', {
      tools: weatherTool === undefined ? undefined : [{ name: weatherTool.name, parameters: weatherTool.parameters }],
    }),
  },
];

const models = new Map<string, CausalLm>();
const lm = async (id: string): Promise<CausalLm> => {
  const known = models.get(id);
  if (known !== undefined) return known;
  const loaded = await loadLocalCausalLm(id);
  models.set(id, loaded);
  return loaded;
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const rows: string[][] = [['case', 'tokens', 'generate ms', 'tokens/s', 'score ms']];
for (const entry of cases) {
  const model = await lm(entry.model);
  const task = entry.task(greedy);
  await generateChat(model, { task });
  const generateMs: number[] = [];
  const scoreMs: number[] = [];
  let tokens = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const { output } = await generateChat(model, { task });
    generateMs.push(performance.now() - started);
    if (output.kind !== 'chat') throw new Error('not a chat output');
    tokens = output.tokenIds.length;
    const scoring = performance.now();
    await scoreChat(model, { task, tokenIds: output.tokenIds });
    scoreMs.push(performance.now() - scoring);
  }
  const ms = median(generateMs);
  rows.push([entry.name, String(tokens), ms.toFixed(1), ((tokens / ms) * 1000).toFixed(0), median(scoreMs).toFixed(1)]);
}
const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
console.log(`\nmedians of ${runs} runs after a warm-up; each run includes the grammar's compile and matcher set-up for its task.`);
