import { TINY_BERT_ID, TINY_GPT2_ID } from '@tessera/shared';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { anthropicSdk } from './snippets/anthropic-sdk.ts';
import { ollamaClient } from './snippets/ollama-client.ts';
import { openaiNode } from './snippets/openai-node.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** A snippet file: `name.ts` from coordinator/test/snippets/, or a path from here (the e2e snippets run against real tabs). */
const snippet = (file: string): string => readFileSync(new URL(file.includes('/') ? file : `./snippets/${file}`, import.meta.url), 'utf8');
/** Run by e2e/tools-structured-output.test.ts against a tab serving the tiny chat model. */
const E2E_SNIPPETS = ['../../e2e/snippets/openai-tools.ts', '../../e2e/snippets/langchain.ts', '../../e2e/snippets/ai-sdk.ts'];

/** The README's block for a TypeScript snippet: its imports, the address, then the code between its markers. */
function readmeBlock(file: string): string {
  const source = snippet(file);
  const from = source.indexOf('// README: from here\n');
  const to = source.indexOf('  // README: to here');
  const imports = source.split('\n').filter((line) => line.startsWith('import '));
  const body = source
    .slice(from + '// README: from here\n'.length, to)
    .split('\n')
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n')
    .trimEnd();
  return ['```ts', ...imports, '', "const TESSERA = 'http://127.0.0.1:8787';", body, '```'].join('\n');
}

/** What a snippet prints: console.log lines and what it writes to stdout, kept from the test's output. */
async function printed(run: () => Promise<void>): Promise<{ logged: unknown[]; written: string }> {
  const logged: unknown[] = [];
  let written = '';
  const log = vi.spyOn(console, 'log').mockImplementation((value: unknown) => void logged.push(value));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return { logged, written };
}

describe('"Use it from your stack": the README snippets are the code run here, against a coordinator with a tab', () => {
  let server: TestApp;
  let tab: ScriptedTab;

  beforeAll(async () => {
    server = await startTestApp();
    tab = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answerHonestly });
    await tab.ready();
    // A tab's models become servable a moment after its welcome.
    const { availability } = server.app.tessera;
    await eventually(() => (availability.online(TINY_GPT2_ID) > 0 && availability.online(TINY_BERT_ID) > 0 ? true : undefined));
  });
  afterAll(async () => {
    tab.close();
    await server.close();
  });

  it('the README shows each snippet verbatim', () => {
    for (const file of ['openai-node.ts', 'anthropic-sdk.ts', 'ollama-client.ts', ...E2E_SNIPPETS])
      expect(README, file).toContain(readmeBlock(file));
    const curl = snippet('curl.sh').split('\n').slice(1).join('\n').trimEnd();
    expect(README).toContain(['```sh', curl, '```'].join('\n'));
  });

  it('openai for Node: responses (and a follow-up) and streamed completions', async () => {
    const { logged, written } = await printed(() => openaiNode(server.url));
    expect(logged).toEqual(['echo: Tessera', 'echo: And then?']);
    expect(written).toBe('echo: Tessera');
  });

  it("Anthropic's SDK: a message and a stream", async () => {
    const { logged, written } = await printed(() => anthropicSdk(server.url));
    expect(logged).toEqual(['echo: Tessera']);
    expect(written).toBe('echo: Tessera');
  });

  it('the ollama client: list, chat, streamed generate, embed', async () => {
    const { logged, written } = await printed(() => ollamaClient(server.url));
    expect(logged).toEqual([[TINY_GPT2_ID, TINY_BERT_ID], 'echo: Tessera', 2]);
    expect(written).toBe('echo: Tessera');
  });

  it('curl: completions, responses, messages and Ollama chat (curl -d without a JSON content type, as Ollama documents)', async () => {
    const path = new URL('./snippets/curl.sh', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)('bash', [path], { env: { ...process.env, TESSERA: server.url } });
    expect(stdout.match(/echo: Tessera/g)).toHaveLength(4);
    expect(stdout).toContain('"object":"text_completion"');
    expect(stdout).toContain('"object":"response"');
    expect(stdout).toContain('"type":"message"');
    expect(stdout).toContain('"done":true');
  });
});
