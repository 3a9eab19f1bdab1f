import { TesseraError, type ModelCatalogEntry } from '@tessera/shared';
import type { ModelAvailability } from '../placement/model-availability.ts';
import type { WorkCounter } from '../work/work-counter.ts';

/**
 * Throws when a task of `model` should not be accepted now: no tab could serve it (unless the caller asked
 * to wait for one), or the coordinator cannot count its work (no tokenizer). Nothing is stored before this.
 */
export function assertServable(
  model: ModelCatalogEntry,
  waitForTab: boolean,
  options: { availability?: ModelAvailability; counter?: Pick<WorkCounter, 'uncountable'> },
): void {
  if (!waitForTab && options.availability?.servable(model.id) === false)
    throw new TesseraError(
      'no_capacity',
      `No tab serves ${model.id} now. Retry later, pick a model with online_workers from GET /v1/models, or queue it with POST /api/v1/tasks and "wait_for_tab": true.`,
      'model',
    );
  const uncountable = options.counter?.uncountable(model.id);
  if (uncountable !== undefined)
    throw new TesseraError('model_unavailable', `Tessera cannot serve ${model.id} now: ${uncountable}.`, 'model');
}
