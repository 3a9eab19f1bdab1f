import { z } from 'zod';
import { anthropicMessagesRequestSchema } from './anthropic-messages.ts';

/**
 * `POST /v1/messages/count_tokens`: the prompt part of a Messages request (no `max_tokens`, no sampling), its
 * tools included. What the model cannot honour (tools for a model without a tool format, server tools, enabled
 * `thinking`, `output_config.format`, image and other blocks) is refused as `/v1/messages` refuses it, so a
 * count is never of a prompt it would not run.
 */
export const anthropicCountTokensRequestSchema = anthropicMessagesRequestSchema.pick({
  model: true,
  messages: true,
  system: true,
  tools: true,
  tool_choice: true,
  thinking: true,
  output_config: true,
});
export type AnthropicCountTokensRequest = z.infer<typeof anthropicCountTokensRequestSchema>;

/** The prompt's tokens as `/v1/messages` would count them into `usage.input_tokens`. */
export const anthropicTokensCountSchema = z.object({ input_tokens: z.number().int().min(0) });
export type AnthropicTokensCount = z.infer<typeof anthropicTokensCountSchema>;
