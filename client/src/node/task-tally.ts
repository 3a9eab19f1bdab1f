import { assertNever } from '@tessera/shared';
import type { ServedTask } from './task-runner.ts';

export interface TaskTotals {
  served: number;
  failed: number;
  cancelled: number;
  refused: number;
  handedOff: number;
  /** Generated tokens of the chat tasks served. */
  tokens: number;
  /** Inputs embedded by the embeddings tasks served. */
  embeddings: number;
  /** Time spent on the chat tasks served, for tokens per second. */
  busyMs: number;
}

export const NO_TASKS: TaskTotals = { served: 0, failed: 0, cancelled: 0, refused: 0, handedOff: 0, tokens: 0, embeddings: 0, busyMs: 0 };

const RECENT_TASKS = 50;

/**
 * The tasks this tab served, newest first (the last 50), and totals over all of them. Every update of a
 * task replaces its line; a task counts in the totals once, when it ends. Snapshots are new objects on
 * every change, so a view can compare them by reference.
 */
export class TaskTally {
  #recent: readonly ServedTask[] = [];
  #totals: TaskTotals = NO_TASKS;

  get recent(): readonly ServedTask[] {
    return this.#recent;
  }

  get totals(): TaskTotals {
    return this.#totals;
  }

  record(task: ServedTask): void {
    this.#recent = [task, ...this.#recent.filter((other) => other.taskId !== task.taskId)].slice(0, RECENT_TASKS);
    const totals = { ...this.#totals };
    switch (task.status) {
      case 'queued':
      case 'running':
        return;
      case 'handed-off':
        totals.handedOff++;
        break;
      case 'succeeded':
        totals.served++;
        if (task.kind === 'chat') {
          totals.tokens += task.units;
          totals.busyMs += task.totalMs ?? 0;
        } else {
          totals.embeddings += task.units;
        }
        break;
      case 'failed':
        totals.failed++;
        break;
      case 'cancelled':
        totals.cancelled++;
        break;
      case 'refused':
        totals.refused++;
        break;
      default:
        assertNever(task.status, 'task status');
    }
    this.#totals = totals;
  }
}
