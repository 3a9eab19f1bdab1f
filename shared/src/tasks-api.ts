import { z } from 'zod';
import { chatCompletionRequestSchema, chatCompletionResponseSchema } from './openai/chat-completion.ts';
import { embeddingRequestSchema, embeddingResponseSchema } from './openai/embedding.ts';
import { openAIErrorBodySchema } from './openai/error-body.ts';
import { taskStatusSchema } from './task.ts';
import { resultVerificationSchema } from './verification/result-verification.ts';
import { directStreamKeySchema } from './socket-events.ts';
import { nodeIdSchema } from './ids.ts';
import { webhookUrlSchema } from './webhooks.ts';

/**
 * Asks for the text straight from the worker over a WebRTC link to the submitting tab (which is connected
 * as a `requester`; both values come from its `worker:welcome`). The task's result is still here.
 */
export const directStreamRequestSchema = z.strictObject({ node_id: nodeIdSchema, stream_key: directStreamKeySchema });
export type DirectStreamRequest = z.infer<typeof directStreamRequestSchema>;

/** Native async API (as AI Horde users expect): submit, poll, cancel. The bodies reuse OpenAI's shapes. */
/** Queue the task even when no tab serves its model now; it then waits up to the queue timeout for one. */
const waitForTabSchema = z.boolean().optional();
/** POSTed the task's view, signed, when it ends (needs an API key; `shared/README.md`, Webhooks). */
const webhookSchema = webhookUrlSchema.optional();

export const createTaskRequestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('chat.completion'),
    request: chatCompletionRequestSchema,
    direct_stream: directStreamRequestSchema.optional(),
    wait_for_tab: waitForTabSchema,
    webhook_url: webhookSchema,
  }),
  z.object({ type: z.literal('embedding'), request: embeddingRequestSchema, wait_for_tab: waitForTabSchema, webhook_url: webhookSchema }),
]);
export type CreateTaskRequest = z.infer<typeof createTaskRequestSchema>;

export const taskViewSchema = z.object({
  id: z.string(),
  object: z.literal('task'),
  type: z.enum(['chat.completion', 'embedding']),
  model: z.string(),
  status: taskStatusSchema,
  /** 0-based place among queued tasks for the same model; null once assigned or finished. */
  queue_position: z.number().int().nullable(),
  attempts: z.number().int(),
  created_at: z.number().int(),
  finished_at: z.number().int().nullable(),
  result: z.union([chatCompletionResponseSchema, embeddingResponseSchema]).nullable(),
  /** How far the result was verified; null until there is one. */
  verification: resultVerificationSchema.nullable(),
  error: openAIErrorBodySchema.shape.error.nullable(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/** The cancel token's header on `DELETE /api/v1/tasks/{id}`. */
export const CANCEL_TOKEN_HEADER = 'x-tessera-cancel-token';

/**
 * The answer to `POST /api/v1/tasks`: the task, and once only the secret that lets its submitter cancel
 * it (`x-tessera-cancel-token` on DELETE). The coordinator keeps only its hash; nobody else can cancel.
 */
export const createdTaskViewSchema = taskViewSchema.extend({ cancel_token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
export type CreatedTaskView = z.infer<typeof createdTaskViewSchema>;

export const taskIdParamsSchema = z.object({ id: z.string().min(1).max(100) });
