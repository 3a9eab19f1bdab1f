import { z } from 'zod';
import type { NodeId, TaskId } from '../ids.ts';
import type { TaskOutput, TaskUsage } from '../task.ts';
import type { VerifyEvidence, Verdict } from '../verification/verify-messages.ts';
import { canonicalBytes } from './canonical-json.ts';

/** An Ed25519 public key, raw 32 bytes in base64url (43 characters). */
export const publicKeySchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an Ed25519 public key: 32 bytes, base64url');
/** An Ed25519 signature, 64 bytes in base64url (86 characters). */
export const signatureSchema = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'an Ed25519 signature: 64 bytes, base64url');

/**
 * What a worker signs for a result. `nodeId` is fresh for every connection (the coordinator hands it
 * out in `worker:welcome`), so a result cannot be replayed on another connection, for another task, or
 * as another tab's work.
 */
export function resultSigningBytes(fields: { nodeId: NodeId; taskId: TaskId; output: TaskOutput; usage: TaskUsage }): Uint8Array {
  return canonicalBytes({ type: 'task:result', nodeId: fields.nodeId, taskId: fields.taskId, output: fields.output, usage: fields.usage });
}

/** What a guard signs for a verdict. */
export function verdictSigningBytes(fields: { nodeId: NodeId; jobId: string; verdict: Verdict; evidence: VerifyEvidence }): Uint8Array {
  return canonicalBytes({
    type: 'verify:verdict',
    nodeId: fields.nodeId,
    jobId: fields.jobId,
    verdict: fields.verdict,
    evidence: fields.evidence,
  });
}
