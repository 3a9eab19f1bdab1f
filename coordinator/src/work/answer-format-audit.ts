import { Ajv, type ValidateFunction } from 'ajv';
import type { ChatTaskSpec, TaskOutput } from '@tessera/shared';
import { parseHermesToolCalls } from '../api/tool-call-parsing.ts';

/** Why an answer is not in the shape its task asked for, or null when it is (or cannot be judged: cut short). */
export type FormatAudit = string | null;

// One validator per schema text: tasks of one client usually repeat their schema.
const ajv = new Ajv({ strict: false, allErrors: false });
const validators = new Map<string, ValidateFunction | null>();
const MAX_CACHED = 256;

function validator(schema: Record<string, unknown>): ValidateFunction | null {
  const key = JSON.stringify(schema);
  if (!validators.has(key)) {
    if (validators.size >= MAX_CACHED) validators.clear();
    let compiled: ValidateFunction | null;
    try {
      compiled = ajv.compile(schema);
    } catch {
      // A schema the tab's grammar compiler took but Ajv does not: the guards' replay of the grammar still checks it.
      compiled = null;
    }
    validators.set(key, compiled);
  }
  return validators.get(key) ?? null;
}

function mismatch(schema: Record<string, unknown>, value: unknown, what: string): FormatAudit {
  const validate = validator(schema);
  if (validate === null || validate(value)) return null;
  const first = validate.errors?.[0];
  return `${what} does not validate against its schema (${first?.instancePath || '/'} ${first?.message ?? 'invalid'})`;
}

/**
 * The coordinator's own check of an answer's shape, on every result, sampled by guards or not: a tab that
 * skipped the grammar the task asked for is caught here at once. JSON answers must parse (and validate against
 * their schema); tool calls must name an offered tool with arguments valid for it, and a task that required a
 * call must have one. Answers cut by `max_tokens` or a stop sequence cannot be complete and are not judged.
 */
export function auditAnswerFormat(spec: ChatTaskSpec, output: Extract<TaskOutput, { kind: 'chat' }>, cut: boolean): FormatAudit {
  if (output.finishReason === 'length' || cut) return null;
  const format = spec.responseFormat;
  if (format !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(output.text);
    } catch {
      return 'the answer to a JSON task is not JSON';
    }
    if (format.type === 'json_object')
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? null : 'the answer to a JSON task is not an object';
    return mismatch(format.schema, value, 'the JSON answer');
  }
  if (spec.tools === undefined) return null;
  const { content, toolCalls } = parseHermesToolCalls(output.text, 'audit');
  if (content !== null && content.includes('<tool_call>')) return 'a tool call in the answer does not parse';
  const choice = spec.toolChoice ?? 'auto';
  if (choice !== 'auto' && toolCalls.length === 0) return 'the task required a tool call and the answer has none';
  if (spec.parallelToolCalls === false && toolCalls.length > 1) return 'the task allowed one tool call and the answer has several';
  for (const call of toolCalls) {
    const tool = spec.tools.find((offered) => offered.name === call.function.name);
    if (tool === undefined || (typeof choice === 'object' && choice.name !== tool.name))
      return `the answer calls '${call.function.name}', which the task did not offer`;
    const problem = mismatch(tool.parameters ?? { type: 'object' }, JSON.parse(call.function.arguments), `the arguments of '${tool.name}'`);
    if (problem !== null) return problem;
  }
  return null;
}
