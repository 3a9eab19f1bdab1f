import type { ChatCompletionRequest, ChatTaskSpec } from '@tessera/shared';

type ChatFeatures = Pick<ChatTaskSpec, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'responseFormat'>;
type ShapingParams = Pick<ChatTaskSpec['params'], 'logitBias' | 'frequencyPenalty' | 'presencePenalty' | 'topLogprobs'>;

/**
 * The task's tools and output format from an OpenAI request already checked by
 * `assertSupportedChatParameters`. `tool_choice: "none"` leaves the tools out of the prompt: the model can
 * then only answer in text, which is what "none" asks.
 */
export function chatFeatures(request: ChatCompletionRequest): ChatFeatures {
  const features: ChatFeatures = {};
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length > 0 && choice !== 'none') {
    features.tools = tools.map(({ function: tool }) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
    }));
    if (choice === 'required') features.toolChoice = 'required';
    else if (typeof choice === 'object' && choice !== null) features.toolChoice = { name: choice.function.name };
    if (request.parallel_tool_calls === false) features.parallelToolCalls = false;
  }
  const format = request.response_format;
  if (format?.type === 'json_object') features.responseFormat = { type: 'json_object' };
  if (format?.type === 'json_schema')
    features.responseFormat = { type: 'json_schema', schema: format.json_schema.schema ?? { type: 'object' } };
  return features;
}

/** Logit bias, penalties and log probabilities, left out when neutral so plain tasks stay as they were. */
export function shapingParams(request: ChatCompletionRequest): ShapingParams {
  const params: ShapingParams = {};
  if (request.logit_bias !== undefined && request.logit_bias !== null && Object.keys(request.logit_bias).length > 0)
    params.logitBias = request.logit_bias;
  if ((request.frequency_penalty ?? 0) !== 0) params.frequencyPenalty = request.frequency_penalty ?? 0;
  if ((request.presence_penalty ?? 0) !== 0) params.presencePenalty = request.presence_penalty ?? 0;
  if (request.logprobs === true) params.topLogprobs = request.top_logprobs ?? 0;
  return params;
}
