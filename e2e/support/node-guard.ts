import { loadLocalCausalLm, scoreChat } from '@tessera/client/testing';
import { MODEL_CATALOG, findModel, judgeChatClaim, taskIdSchema } from '@tessera/shared';
import type { Judgement, TaskOutput } from '@tessera/shared';
import type { RunningCoordinator } from './coordinator.ts';

/**
 * Re-checks a result that a browser tab produced with the guard's scoring code running in Node
 * (onnxruntime-node): an honest tab's output must pass across runtimes, a tampered one must not.
 */
export async function judgeInNode(
  coordinator: RunningCoordinator,
  completionId: string,
  tamper?: (claim: Extract<TaskOutput, { kind: 'chat' }>) => Extract<TaskOutput, { kind: 'chat' }>,
): Promise<Judgement> {
  const record = coordinator.app.tessera.store.get(taskIdSchema.parse(completionId.replace(/^chatcmpl-/, '')));
  if (record?.spec.kind !== 'chat' || record.result?.output.kind !== 'chat') throw new Error('no chat result stored for that completion');
  const claim = tamper ? tamper(record.result.output) : record.result.output;
  const lm = await loadLocalCausalLm(record.spec.model);
  const evidence = await scoreChat(lm, { task: record.spec, tokenIds: claim.tokenIds });
  return judgeChatClaim(record.spec, claim, evidence, { contextLength: findModel(MODEL_CATALOG, record.spec.model)?.contextLength });
}
