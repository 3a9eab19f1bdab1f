import type { TaskAssign, TaskId, TaskView } from '@tessera/shared';
import { taskViewSchema } from '@tessera/shared';
import type { ScriptedTab } from './scripted-tab.ts';
import type { TestApp } from './test-app.ts';

// What a test can observe of a task from outside: the API's view, metrics, and what tabs were sent.

export async function getTask(server: TestApp, id: string): Promise<TaskView> {
  return taskViewSchema.parse(await (await fetch(`${server.url}/api/v1/tasks/${id}`)).json());
}

export function resultText(task: TaskView): string | null {
  return task.result !== null && 'choices' in task.result ? (task.result.choices[0]?.message.content ?? null) : null;
}

/**
 * A Prometheus counter or gauge: `name`, or `name{label="value",…}` for the series whose labels include
 * those (summed over the others, e.g. every model); 0 while it has no sample.
 */
export async function metric(server: TestApp, series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return sumOfSeries(text, series);
}

/** Sums the samples of `series` (name, and labels that must all be present) in a Prometheus text page. */
export function sumOfSeries(text: string, series: string): number {
  const [, name = series, wanted = ''] = /^([^{]+)(?:\{(.*)\})?$/.exec(series) ?? [];
  const labels = wanted === '' ? [] : wanted.split(/,(?=[a-z_]+=)/);
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-z_]+=)/);
    if (labels.every((label) => present.includes(label))) sum += Number(match[3]);
  }
  return sum;
}

export function assignsFor(tab: ScriptedTab, taskId: TaskId): TaskAssign[] {
  return tab.received.flatMap((message) => (message.event === 'task:assign' && message.payload.taskId === taskId ? [message.payload] : []));
}

export function cancelsFor(tab: ScriptedTab, taskId: TaskId): string[] {
  return tab.received.flatMap((message) =>
    message.event === 'task:cancel' && message.payload.taskId === taskId ? [message.payload.reason] : [],
  );
}

/** The text of a streamed chat completion: every SSE `data:` chunk's delta, joined. */
export function streamedText(body: string): string {
  return body
    .split('\n\n')
    .filter((event) => event.startsWith('data: {'))
    .map((event) => JSON.parse(event.slice(6)).choices[0]?.delta.content ?? '')
    .join('');
}
