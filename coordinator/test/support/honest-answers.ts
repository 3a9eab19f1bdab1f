import type { TaskAssign } from '@tessera/shared';
import type { ScriptedTab } from './scripted-tab.ts';
import { chatOutput } from './tiny-tokens.ts';

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

/** Answers like an honest tab: accept, stream words as chunks, then the signed result. */
export function answerHonestly(assign: TaskAssign, tab: ScriptedTab): void {
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  if (assign.task.kind === 'chat') {
    const output = chatOutput(echoText(assign));
    const pieces = output.text.split(/(?<= )/);
    pieces.forEach((delta, seq) => tab.socket.emit('task:chunk', { taskId: assign.taskId, seq, delta }));
    tab.sendResult(assign.taskId, output, { promptTokens: 3, completionTokens: output.tokenIds.length });
  } else {
    tab.sendResult(
      assign.taskId,
      { kind: 'embeddings', vectors: assign.task.texts.map(vectorFor) },
      { promptTokens: assign.task.texts.length, completionTokens: 0 },
    );
  }
}
