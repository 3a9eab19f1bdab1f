import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { ApiKeyStore } from './api-key-store.ts';

/**
 * Counts a succeeded task's tokens (prompt and completion, as the coordinator counted them) against the key
 * that submitted it. Heard inside the result's transaction, so usage and the stored result agree.
 */
export function keepApiUsage(events: CoordinatorEventBus, keys: Pick<ApiKeyStore, 'addUsage'>): () => void {
  return events.on('task:succeeded', ({ record, result }) =>
    keys.addUsage(record.id, result.usage.promptTokens + result.usage.completionTokens),
  );
}
