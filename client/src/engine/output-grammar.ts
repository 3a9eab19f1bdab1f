import { TesseraError } from '@tessera/shared';
import type { ChatTaskSpec, ModelCatalogEntry, TaskTool } from '@tessera/shared';

/**
 * The grammar a chat answer must follow, when the task constrains it: JSON (any object, or valid against a
 * schema), or text with tool calls in the model's own format. Generation and guards build it from the task
 * with this one function, so a guard re-checks an answer under exactly the mask that produced it.
 */
export type OutputGrammar =
  | { kind: 'json-schema'; schema: Record<string, unknown> }
  | {
      kind: 'tool-calls';
      /** The text before `<tool_call>` is free until a call starts. */
      trigger: string;
      /** Each call: fixed text, arguments valid against the schema, fixed text. */
      calls: ToolCallShape[];
      /** Tool calls only, at least one (`tool_choice` required or a named tool). */
      atLeastOne: boolean;
      stopAfterFirst: boolean;
    };

export interface ToolCallShape {
  begin: string;
  schema: Record<string, unknown>;
  end: string;
}

/** What any JSON object means as a schema (`response_format: json_object`). */
const ANY_OBJECT: Record<string, unknown> = { type: 'object' };

/**
 * A Hermes-format tool call (Qwen2.5, Hermes, the tiny chat model): the name is fixed text, the arguments
 * follow the tool's parameter schema.
 */
function hermesCall(tool: TaskTool): ToolCallShape {
  return {
    begin: `<tool_call>\n{"name": ${JSON.stringify(tool.name)}, "arguments": `,
    schema: tool.parameters ?? ANY_OBJECT,
    end: '}\n</tool_call>',
  };
}

function toolCallGrammar(task: ChatTaskSpec, tools: readonly TaskTool[], toolFormat: ModelCatalogEntry['toolFormat']): OutputGrammar {
  if (toolFormat !== 'hermes')
    throw new TesseraError('unsupported_parameter', `${task.model} is not offered tools: its catalog entry names no tool format.`, 'tools');
  const choice = task.toolChoice ?? 'auto';
  const chosen = typeof choice === 'object' ? tools.filter((tool) => tool.name === choice.name) : tools;
  if (chosen.length === 0) throw new TesseraError('invalid_request', `tool_choice names a tool that is not in tools.`, 'tool_choice');
  return {
    kind: 'tool-calls',
    trigger: '<tool_call>',
    calls: chosen.map(hermesCall),
    atLeastOne: choice !== 'auto',
    stopAfterFirst: typeof choice === 'object' || task.parallelToolCalls === false,
  };
}

/** The task's output grammar, or null when its output is free text. */
export function outputGrammar(task: ChatTaskSpec, toolFormat: ModelCatalogEntry['toolFormat']): OutputGrammar | null {
  if (task.tools !== undefined) {
    if (task.responseFormat !== undefined)
      throw new TesseraError('unsupported_parameter', 'response_format cannot be combined with tools yet.', 'response_format');
    return toolCallGrammar(task, task.tools, toolFormat);
  }
  const format = task.responseFormat;
  if (format === undefined) return null;
  return { kind: 'json-schema', schema: format.type === 'json_schema' ? format.schema : ANY_OBJECT };
}
