import { TINY_GPT2_ID, type OfferedModel } from '@tessera/shared';
import { answerHonestly } from './honest-answers.ts';
import { ScriptedTab, loaded, type AssignmentHandler } from './scripted-tab.ts';
import { eventually, type TestApp } from './test-app.ts';

export interface ServingTabOptions {
  /** What the tab offers; all must pass their known-answer checks. Default: the tiny GPT-2, loaded. */
  models?: readonly OfferedModel[];
  /** What it does with a task. Default: answers honestly (`answerHonestly`). */
  onAssign?: AssignmentHandler;
  maxConcurrentTasks?: number;
}

/**
 * A connected tab whose offered models all passed their checks, so placement and hand-offs may use it.
 * `track` closes it after the test (`closeAfterEach`).
 */
export async function servingTab(
  server: TestApp,
  track: <T extends { close(): unknown }>(thing: T) => T,
  options: ServingTabOptions = {},
): Promise<ScriptedTab> {
  const models = options.models ?? [loaded(TINY_GPT2_ID)];
  const tab = track(
    new ScriptedTab({
      url: server.url,
      models,
      onAssign: options.onAssign ?? answerHonestly,
      maxConcurrentTasks: options.maxConcurrentTasks,
    }),
  );
  await tab.ready();
  await eventually(
    () => (server.app.tessera.registry.get(tab.nodeId)?.models.size === models.length ? true : undefined),
    3000,
    'tab serving its models',
  );
  return tab;
}
