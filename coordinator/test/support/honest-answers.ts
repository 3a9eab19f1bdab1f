import type { TaskAssign } from '@tessera/shared';
import type { ScriptedTabSocket } from './scripted-tab.ts';

/** A deterministic stand-in for a model: chat echoes the last message word by word. */
export function echoText(assign: TaskAssign): string {
  if (assign.task.kind !== 'chat') return '';
  const last = assign.task.messages.at(-1)?.content ?? '';
  return `echo: ${last}`;
}

export function vectorFor(text: string): number[] {
  const raw = [text.length, [...text].reduce((sum, char) => sum + char.charCodeAt(0), 0) % 97, 1];
  const norm = Math.hypot(...raw);
  return raw.map((value) => value / norm);
}

/** Answers like an honest tab: accept, stream words as chunks, then the result. */
export function answerHonestly(assign: TaskAssign, socket: ScriptedTabSocket): void {
  socket.emit('task:accept', { taskId: assign.taskId });
  if (assign.task.kind === 'chat') {
    const text = echoText(assign);
    const pieces = text.split(/(?<= )/);
    pieces.forEach((delta, seq) => socket.emit('task:chunk', { taskId: assign.taskId, seq, delta }));
    socket.emit('task:result', {
      taskId: assign.taskId,
      output: { kind: 'chat', text, finishReason: 'stop', tokenIds: pieces.map((_, index) => index) },
      usage: { promptTokens: 3, completionTokens: pieces.length },
      timings: { firstTokenMs: 1, totalMs: 2 },
      signature: null,
    });
  } else {
    socket.emit('task:result', {
      taskId: assign.taskId,
      output: { kind: 'embeddings', vectors: assign.task.texts.map(vectorFor) },
      usage: { promptTokens: assign.task.texts.length, completionTokens: 0 },
      timings: { firstTokenMs: null, totalMs: 1 },
      signature: null,
    });
  }
}
