import type { TaskResultRecord } from '../tasks/task-record.ts';

/**
 * A chat result's decode speed in tokens per second, by the coordinator's own count and clock (the usage
 * and timings it stores); null for embeddings and for a result timed at zero.
 */
export function decodeSpeed(result: Pick<TaskResultRecord, 'output' | 'usage' | 'timings'>): number | null {
  return result.output.kind === 'chat' && result.timings.totalMs > 0
    ? (result.usage.completionTokens * 1000) / result.timings.totalMs
    : null;
}
