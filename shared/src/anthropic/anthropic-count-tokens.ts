import { z } from 'zod';
import { anthropicMessagesRequestSchema } from './anthropic-messages.ts';

/**
 * `POST /v1/messages/count_tokens`: the prompt part of a Messages request (no `max_tokens`, no sampling).
 * Fields a text model cannot honour (`tools`, `tool_choice`, enabled `thinking`, `output_config.format`,
 * non-text blocks) are refused as `/v1/messages` refuses them, so a count is never of a prompt it would not run.
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
