import { assertDistinctToolNames, assertModelTakesTools } from './tool-offer.ts';
import { TesseraError, type ChatCompletionRequest, type ModelCatalogEntry } from '@tessera/shared';

/** Whether the request asks for anything past plain text: tools, JSON, log probabilities or shaped logits. */
function shapingParameters(request: ChatCompletionRequest): string[] {
  const asked: string[] = [];
  if ((request.tools?.length ?? 0) > 0 && request.tool_choice !== 'none') asked.push('tools');
  if (request.response_format !== undefined && request.response_format !== null && request.response_format.type !== 'text')
    asked.push('response_format');
  if (request.logprobs === true) asked.push('logprobs');
  if (request.logit_bias !== undefined && request.logit_bias !== null && Object.keys(request.logit_bias).length > 0)
    asked.push('logit_bias');
  if ((request.frequency_penalty ?? 0) !== 0) asked.push('frequency_penalty');
  if ((request.presence_penalty ?? 0) !== 0) asked.push('presence_penalty');
  return asked;
}

/**
 * Refuses, naming the field, what the model's tabs cannot honour, so a client never gets plain text as if
 * it had been: the deprecated `functions`; tools for a model whose catalog entry names no tool format;
 * anything shaped for an engine that reports no token ids (web-llm: guards could not replay it); and
 * combinations that make no sense. Neutral values (no tools, `tool_choice: "none"`, `response_format: text`,
 * `logprobs: false`, zero penalties, an empty bias) are what clients send by default and pass.
 */
export function assertSupportedChatParameters(request: ChatCompletionRequest, model: ModelCatalogEntry): void {
  const refuse = (param: string, message: string): never => {
    throw new TesseraError('unsupported_parameter', message, param);
  };
  const invalid = (param: string, message: string): never => {
    throw new TesseraError('invalid_request', message, param);
  };
  if ((request.functions?.length ?? 0) > 0) refuse('functions', 'The deprecated `functions` are not supported: send `tools`.');
  if (request.function_call !== undefined && request.function_call !== null && request.function_call !== 'none')
    refuse('function_call', 'The deprecated `function_call` is not supported: send `tool_choice`.');
  const asked = shapingParameters(request);
  const first = asked[0];
  if (first !== undefined && model.engine === 'web-llm') {
    refuse(first, `${first} is not supported for ${model.id}: its engine (web-llm) reports no token ids, so guards could not check it.`);
  }
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length > 0 && choice !== 'none') assertModelTakesTools(model);
  if (tools.length === 0 && (choice === 'required' || (typeof choice === 'object' && choice !== null)))
    invalid('tool_choice', 'tool_choice asks for a tool call, but no tools are given.');
  if (typeof choice === 'object' && choice !== null && !tools.some((tool) => tool.function.name === choice.function.name))
    invalid('tool_choice', `tool_choice names '${choice.function.name}', which is not among the tools.`);
  assertDistinctToolNames(tools.map((tool) => tool.function.name));
  if (asked.includes('tools') && asked.includes('response_format'))
    refuse('response_format', 'response_format cannot be combined with tools yet: send one or the other.');
  if ((request.top_logprobs ?? 0) > 0 && request.logprobs !== true) invalid('top_logprobs', 'top_logprobs needs logprobs: true.');
}
