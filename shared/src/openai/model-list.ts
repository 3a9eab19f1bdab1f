import { z } from 'zod';

export const modelObjectSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  /** Tessera extension: what the model does and how many connected tabs serve it now. */
  task: z.string(),
  engine: z.string(),
  online_workers: z.number().int(),
});
export type ModelObject = z.infer<typeof modelObjectSchema>;

export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelObjectSchema) });
export type ModelList = z.infer<typeof modelListSchema>;
