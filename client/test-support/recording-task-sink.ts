// Test support: a TaskSink that records what a task runner sends, in order.
import type { TaskAccept, TaskChunk, TaskError, TaskResult } from '@tessera/shared';
import type { TaskSink } from '../src/node/task-runner.ts';

export type SentTaskMessage =
  | { event: 'task:accept'; payload: TaskAccept }
  | { event: 'task:chunk'; payload: TaskChunk }
  | { event: 'task:result'; payload: TaskResult }
  | { event: 'task:error'; payload: TaskError };

export class RecordingTaskSink implements TaskSink {
  readonly sent: SentTaskMessage[] = [];
  accept(payload: TaskAccept): void {
    this.sent.push({ event: 'task:accept', payload });
  }
  chunk(payload: TaskChunk): void {
    this.sent.push({ event: 'task:chunk', payload });
  }
  result(payload: TaskResult): void {
    this.sent.push({ event: 'task:result', payload });
  }
  error(payload: TaskError): void {
    this.sent.push({ event: 'task:error', payload });
  }
  events(): string[] {
    return this.sent.map((message) => message.event);
  }
}
