import { assertModelTakesTools } from './tool-offer.ts';
import { TesseraError } from '@tessera/shared';
import type { ChatTaskSpec, ModelCatalogEntry, ResponseRequest, TaskMessage, TaskToolCall } from '@tessera/shared';

type ResponseFeatures = Pick<ChatTaskSpec, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'responseFormat'>;
type InputItem = Exclude<ResponseRequest['input'], string>[number];

function refuse(param: string, message: string): never {
  throw new TesseraError('unsupported_parameter', message, param);
}

function invalid(param: string, message: string): never {
  throw new TesseraError('invalid_request', message, param);
}

/**
 * Function tools, `tool_choice` and `text.format` of a Responses request as the task's (the same rules as the
 * chat route's: tools only for a model with a tool format, nothing shaped for web-llm, not both at once).
 * Built-in tools are refused by name.
 */
export function responseFeatures(request: ResponseRequest, model: ModelCatalogEntry): ResponseFeatures {
  const features: ResponseFeatures = {};
  const tools = (request.tools ?? []).map((tool, index) => {
    if (tool.type !== 'function' || !('name' in tool))
      return refuse(`tools.${index}.type`, `Built-in tools ('${tool.type}') are not supported.`);
    return tool;
  });
  const choice = request.tool_choice;
  if (typeof choice === 'object' && choice !== null && (choice.type !== 'function' || !('name' in choice)))
    refuse('tool_choice', `tool_choice of type '${choice.type}' is not supported.`);
  const named = typeof choice === 'object' && choice !== null && 'name' in choice ? choice.name : null;
  if (tools.length === 0 && (choice === 'required' || named !== null))
    invalid('tool_choice', 'tool_choice asks for a tool call, but no tools are given.');
  if (named !== null && !tools.some((tool) => tool.name === named))
    invalid('tool_choice', `tool_choice names '${named}', which is not among the tools.`);
  const format = request.text?.format;
  const shaped = format !== undefined && format.type !== 'text';
  const offersTools = tools.length > 0 && choice !== 'none';
  if ((offersTools || shaped) && model.engine === 'web-llm')
    refuse(
      offersTools ? 'tools' : 'text.format',
      `${model.id} runs on web-llm, which reports no token ids: guards could not check tools or formats.`,
    );
  if (offersTools) {
    assertModelTakesTools(model);
    if (shaped) refuse('text.format', 'text.format cannot be combined with tools yet: send one or the other.');
    features.tools = tools.map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined || tool.description === null ? {} : { description: tool.description }),
      ...(tool.parameters === undefined || tool.parameters === null ? {} : { parameters: tool.parameters }),
    }));
    if (choice === 'required') features.toolChoice = 'required';
    if (named !== null) features.toolChoice = { name: named };
    if (request.parallel_tool_calls === false) features.parallelToolCalls = false;
  }
  if (format?.type === 'json_object') features.responseFormat = { type: 'json_object' };
  if (format?.type === 'json_schema') features.responseFormat = { type: 'json_schema', schema: format.schema };
  return features;
}

function outputText(output: Extract<InputItem, { type: 'function_call_output' }>['output']): string {
  return typeof output === 'string' ? output : output.map((part) => part.text).join('');
}

/**
 * Tool-call items as task messages: consecutive `function_call` items are one assistant turn (joined to the
 * assistant message right before them, if any), each `function_call_output` a tool turn. Null for any other
 * item, which the caller handles.
 */
export function toolItemMessage(item: InputItem, messages: TaskMessage[]): TaskMessage | 'merged' | null {
  if (item.type === 'function_call' && 'call_id' in item && 'arguments' in item) {
    const call: TaskToolCall = { id: item.call_id, name: item.name, arguments: item.arguments };
    const last = messages.at(-1);
    if (last?.role === 'assistant') {
      last.toolCalls = [...(last.toolCalls ?? []), call];
      return 'merged';
    }
    return { role: 'assistant', content: '', toolCalls: [call] };
  }
  if (item.type === 'function_call_output' && 'output' in item)
    return { role: 'tool', content: outputText(item.output), toolCallId: item.call_id };
  return null;
}
