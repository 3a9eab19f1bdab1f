import { TesseraError } from '@tessera/shared';
import type { TaskOutput } from '@tessera/shared';
import type { FastifyReply } from 'fastify';
import type { TaskRecord, TaskResultRecord } from '../tasks/task-record.ts';
import { waitForTask, type TaskSubmitter } from '../tasks/wait-for-task.ts';
import { IDEMPOTENT_REPLAYED_HEADER } from './idempotency-keys.ts';
import { terminalError } from './terminal-error.ts';
import type { SubmittedApiTask } from './submit-api-task.ts';

/** A chat task's result. */
export type ChatTaskResult = Omit<TaskResultRecord, 'output'> & { output: Extract<TaskOutput, { kind: 'chat' }> };

/** How one API frames a streamed chat task: each method returns the bytes to write (possibly several frames). */
export interface TextStreamFormat {
  contentType: string;
  /** Written at once, before the task has said anything. */
  open(): string;
  delta(text: string): string;
  /** After the last delta: the finish, usage and verification. */
  done(result: ChatTaskResult): string;
  /** The task ended without a result, or its text changed under the stream. */
  error(error: TesseraError): string;
  /** Written every `keepAliveMs` while the task waits or runs. */
  keepAlive(): string;
}

/** SSE framing with a named event, as Anthropic's and the Responses API's streams use. */
export function sseEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Streams a chat task's text in an API's framing, written straight to the socket (fastify's serializer has no
 * place in a stream), as `/v1/chat/completions` does: a keep-alive while the task waits or runs, deltas as the
 * tab sends them, then the rest of the result's text (authoritative: a tab may stream less than it answers).
 */
export async function streamTaskText(
  tasks: TaskSubmitter,
  reply: FastifyReply,
  submitted: SubmittedApiTask,
  format: TextStreamFormat,
  keepAliveMs: number,
): Promise<FastifyReply> {
  const { record, replayed, signal } = submitted;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': format.contentType,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-tessera-task-id': record.id,
    ...(replayed ? { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } : {}),
  });
  const write = (bytes: string): void => {
    if (!raw.writableEnded && bytes !== '') raw.write(bytes);
  };
  write(format.open());
  const keepAlive = setInterval(() => write(format.keepAlive()), keepAliveMs);
  let forwarded = '';
  const event = await waitForTask(
    tasks,
    record,
    // A replayed task may have streamed part of its text to the first request already: this one gets the
    // whole text at the end, from the result.
    replayed
      ? undefined
      : (delta) => {
          forwarded += delta;
          write(format.delta(delta));
        },
    signal,
  ).finally(() => clearInterval(keepAlive));
  if (event === undefined) return reply;
  const result = event.type === 'succeeded' ? chatResult(event.record) : undefined;
  if (event.type !== 'succeeded') {
    write(format.error(terminalError(event)));
  } else if (result === undefined || !result.output.text.startsWith(forwarded)) {
    write(
      format.error(
        new TesseraError(
          'task_failed',
          'The task was retried on another tab, whose answer differs from the text already streamed. Retry the request.',
        ),
      ),
    );
  } else {
    const rest = result.output.text.slice(forwarded.length);
    if (rest.length > 0) write(format.delta(rest));
    write(format.done(result));
  }
  raw.end();
  return reply;
}

/** The result of a chat task, or undefined for any other. */
export function chatResult(record: TaskRecord): ChatTaskResult | undefined {
  const result = record.result;
  if (result === null || result.output.kind !== 'chat') return undefined;
  return { ...result, output: result.output };
}

/** The result of a succeeded chat task; any other is the coordinator's bug. */
export function requireChatResult(record: TaskRecord): ChatTaskResult {
  const result = chatResult(record);
  if (result === undefined) throw new TesseraError('internal_error', 'The task has no chat result.');
  return result;
}
