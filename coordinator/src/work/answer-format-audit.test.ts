import type { ChatTaskSpec, TaskOutput } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { auditAnswerFormat } from './answer-format-audit.ts';

const base: ChatTaskSpec = {
  kind: 'chat',
  model: 'tessera/tiny-chat',
  messages: [{ role: 'user', content: 'q' }],
  params: { maxTokens: 64, temperature: 0, topP: 1, seed: null, stop: [] },
};
const answer = (text: string, finishReason: 'stop' | 'length' = 'stop'): Extract<TaskOutput, { kind: 'chat' }> => ({
  kind: 'chat',
  text,
  finishReason,
  tokenIds: [1],
});
const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
const weather = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const call = (name: string, args: string): string => `<tool_call>\n{"name": "${name}", "arguments": ${args}}\n</tool_call>`;

describe("the coordinator's own check of an answer's shape", () => {
  it('JSON tasks: the answer parses, is an object, and validates against the schema', () => {
    const object = { ...base, responseFormat: { type: 'json_object' as const } };
    expect(auditAnswerFormat(object, answer('{"a": 1}'), false)).toBeNull();
    expect(auditAnswerFormat(object, answer('Hello'), false)).toMatch(/not JSON/);
    expect(auditAnswerFormat(object, answer('[1]'), false)).toMatch(/not an object/);
    const typed = { ...base, responseFormat: { type: 'json_schema' as const, schema } };
    expect(auditAnswerFormat(typed, answer('{"name": "Tessera"}'), false)).toBeNull();
    expect(auditAnswerFormat(typed, answer('{"name": 3}'), false)).toMatch(/does not validate/);
    expect(auditAnswerFormat(typed, answer('{"nom": "x"}'), false)).toMatch(/does not validate/);
  });

  it('answers cut by max_tokens or a stop sequence are not judged', () => {
    const typed = { ...base, responseFormat: { type: 'json_schema' as const, schema } };
    expect(auditAnswerFormat(typed, answer('{"na', 'length'), false)).toBeNull();
    expect(auditAnswerFormat(typed, answer('{"na'), true)).toBeNull();
  });

  it('tool calls name an offered tool, with valid arguments, as many as allowed; required means at least one', () => {
    const tools = { ...base, tools: [weather] };
    expect(auditAnswerFormat(tools, answer(call('get_weather', '{"city": "Paris"}')), false)).toBeNull();
    expect(auditAnswerFormat(tools, answer('Just text.'), false)).toBeNull();
    expect(auditAnswerFormat(tools, answer(call('rm_rf', '{}')), false)).toMatch(/did not offer/);
    expect(auditAnswerFormat(tools, answer(call('get_weather', '{"town": "Paris"}')), false)).toMatch(/does not validate/);
    expect(auditAnswerFormat(tools, answer('<tool_call>\n{"name": broken\n</tool_call>'), false)).toMatch(/does not parse/);
    expect(auditAnswerFormat({ ...tools, toolChoice: 'required' }, answer('Just text.'), false)).toMatch(/required a tool call/);
    const twice = call('get_weather', '{"city": "Paris"}') + '\n' + call('get_weather', '{"city": "Oslo"}');
    expect(auditAnswerFormat(tools, answer(twice), false)).toBeNull();
    expect(auditAnswerFormat({ ...tools, parallelToolCalls: false }, answer(twice), false)).toMatch(/one tool call/);
  });
});
