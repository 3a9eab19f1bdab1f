import { TesseraError } from '@tessera/shared';
import type { TerminalTaskEvent } from '../tasks/wait-for-task.ts';

/** The API error for a task that ended without a result. */
export function terminalError(event: Exclude<TerminalTaskEvent, { type: 'succeeded' }>): TesseraError {
  return event.type === 'cancelled'
    ? new TesseraError('task_cancelled', 'The task was cancelled before it finished.')
    : new TesseraError(event.error.code, event.error.message);
}
