import { z } from 'zod';

export const taskIdSchema = z.uuid().brand<'TaskId'>();
export type TaskId = z.infer<typeof taskIdSchema>;
export const nodeIdSchema = z.uuid().brand<'NodeId'>();
export type NodeId = z.infer<typeof nodeIdSchema>;

export function newTaskId(): TaskId {
  return taskIdSchema.parse(crypto.randomUUID());
}
export function newNodeId(): NodeId {
  return nodeIdSchema.parse(crypto.randomUUID());
}
