import { ANONYMOUS_API_PRIORITY, TesseraError } from '@tessera/shared';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { SubmitRequest } from '../tasks/submit-request.ts';
import { currentApiKey } from './api-key-auth.ts';
import type { ApiKeyStore } from './api-key-store.ts';

/** What the API routes use of the dispatcher. */
export type ApiTasks = Pick<
  Dispatcher,
  'submit' | 'subscribe' | 'assertRoomFor' | 'cancel' | 'awaited' | 'get' | 'queuePosition' | 'openCounts'
>;

/**
 * The dispatcher as the API routes see it: a task submitted on behalf of a key runs at the key's priority
 * (anonymous ones behind every key), is refused once the key used its token quota (429
 * `insufficient_quota`, nothing stored), and is recorded against the key so its tokens count when it
 * succeeds. Every API shape (OpenAI, Anthropic, Ollama, tasks) submits through here.
 */
export function keyedTasks(
  dispatcher: Dispatcher,
  keys: Pick<ApiKeyStore, 'recordTask'>,
  /** Told of each task submitted with a key, once it is recorded against it (the developers' `/api` stream). */
  onKeyed?: (keyId: string, record: TaskRecord) => void,
): ApiTasks {
  return {
    submit(request: SubmitRequest): TaskRecord {
      const key = currentApiKey();
      if (key === null) return dispatcher.submit({ ...request, priority: Math.max(request.priority, ANONYMOUS_API_PRIORITY) });
      if (key.quotaTokens !== null && key.usedTokens >= key.quotaTokens)
        throw new TesseraError(
          'insufficient_quota',
          `The key ${key.prefix}… used ${key.usedTokens} of its ${key.quotaTokens} tokens. Ask its operator for a larger quota.`,
        );
      const record = dispatcher.submit({ ...request, priority: key.priority });
      keys.recordTask(key.id, record.id);
      onKeyed?.(key.id, record);
      return record;
    },
    subscribe: (id, listener) => dispatcher.subscribe(id, listener),
    assertRoomFor: (client, bytes) => dispatcher.assertRoomFor(client, bytes),
    cancel: (id, reason) => dispatcher.cancel(id, reason),
    awaited: (id) => dispatcher.awaited(id),
    get: (id) => dispatcher.get(id),
    queuePosition: (record) => dispatcher.queuePosition(record),
    openCounts: () => dispatcher.openCounts(),
  };
}
