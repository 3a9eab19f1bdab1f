import { z } from 'zod';

// The stored side of OpenAI's Responses API: `GET` and `DELETE /v1/responses/{response_id}` on what
// `POST /v1/responses` kept (the coordinator's `responses` table).

/** `{response_id}`: as long as `previous_response_id` may be, so any id one route takes the others take too. */
export const responseIdParamsSchema = z.object({ response_id: z.string().min(1).max(200) });
export type ResponseIdParams = z.infer<typeof responseIdParamsSchema>;

/**
 * The query of `GET /v1/responses/{response_id}`. `stream=true` replays a background response's events,
 * which Tessera does not run: it parses so that the route can refuse it by name. `include[]` and
 * `starting_after` (for those streams) are ignored, as unknown fields are on the bodies.
 */
export const responseRetrieveQuerySchema = z.object({ stream: z.enum(['true', 'false']).optional() });
export type ResponseRetrieveQuery = z.infer<typeof responseRetrieveQuerySchema>;

/** What `DELETE /v1/responses/{response_id}` answers once the response is gone. */
export const responseDeletedSchema = z.object({
  id: z.string(),
  object: z.literal('response.deleted'),
  deleted: z.literal(true),
});
export type ResponseDeleted = z.infer<typeof responseDeletedSchema>;
