import { TesseraError, type ChatCompletionRequest } from '@tessera/shared';

/**
 * Refuses the chat parameters no tab honours yet, naming each: a client that asked for tool calls, JSON, log
 * probabilities or penalties must not get plain text as if it had been honoured. Neutral values (no tools,
 * `tool_choice: "none"`, `response_format: {type: "text"}`, `logprobs: false`, zero penalties, an empty bias)
 * are what clients send by default and pass.
 */
export function assertSupportedChatParameters(request: ChatCompletionRequest): void {
  const refuse = (param: string, what: string): never => {
    throw new TesseraError('unsupported_parameter', `${what} is not supported yet: Tessera's tabs return plain text.`, param);
  };
  if ((request.tools?.length ?? 0) > 0) refuse('tools', 'Tool calling');
  if ((request.functions?.length ?? 0) > 0) refuse('functions', 'Function calling');
  if (request.tool_choice !== undefined && request.tool_choice !== null && request.tool_choice !== 'none' && request.tool_choice !== 'auto')
    refuse('tool_choice', 'Forcing a tool');
  if (request.function_call !== undefined && request.function_call !== null && request.function_call !== 'none')
    refuse('function_call', 'Forcing a function');
  const format = request.response_format?.type;
  if (format !== undefined && format !== 'text') refuse('response_format', `response_format ${format.slice(0, 50)} (structured output)`);
  if (request.logprobs === true) refuse('logprobs', 'Log probabilities');
  if ((request.top_logprobs ?? 0) > 0) refuse('top_logprobs', 'Log probabilities');
  if (request.logit_bias !== undefined && request.logit_bias !== null && Object.keys(request.logit_bias).length > 0)
    refuse('logit_bias', 'logit_bias');
  if ((request.frequency_penalty ?? 0) !== 0) refuse('frequency_penalty', 'A frequency penalty');
  if ((request.presence_penalty ?? 0) !== 0) refuse('presence_penalty', 'A presence penalty');
}
