import { Counter, type Registry } from 'prom-client';

export type KnownAnswerTrigger = 'join' | 'repeat';
/** `inconclusive`: the tab gave no answer (an error, a missed lease): not a wrong one. */
export type KnownAnswerResult = 'passed' | 'failed' | 'inconclusive';

/**
 * Prometheus counters of the model checks (known answers, file hashes), on the app's own registry beside
 * `CoordinatorMetrics`. The `answer` label is the index of the known answer asked, so rotation shows.
 */
export class ModelTrustMetrics {
  readonly #checks: Counter<'model' | 'trigger' | 'result' | 'answer'>;
  readonly #fileRefusals: Counter<'model'>;
  readonly #pins: Counter<'model'>;
  readonly #recorded: Counter<'model'>;

  constructor(registry: Registry) {
    this.#checks = new Counter({
      name: 'tessera_known_answer_checks_total',
      help: 'Known-answer checks of tabs, by model, on join or repeated, and how they ended',
      labelNames: ['model', 'trigger', 'result', 'answer'],
      registers: [registry],
    });
    this.#fileRefusals = new Counter({
      name: 'tessera_model_file_refusals_total',
      help: 'Tabs refused a model because a file they loaded differs from its pinned sha256',
      labelNames: ['model'],
      registers: [registry],
    });
    this.#pins = new Counter({
      name: 'tessera_model_file_pins_total',
      help: 'Files of hub models pinned by agreement of distinct tab keys',
      labelNames: ['model'],
      registers: [registry],
    });
    this.#recorded = new Counter({
      name: 'tessera_canaries_recorded_total',
      help: 'Known answers recorded from guard-confirmed results, for models without reference answers',
      labelNames: ['model'],
      registers: [registry],
    });
  }

  knownAnswerCheck(model: string, trigger: KnownAnswerTrigger, result: KnownAnswerResult, answer: number): void {
    this.#checks.inc({ model, trigger, result, answer: String(answer) });
  }

  fileRefused(model: string): void {
    this.#fileRefusals.inc({ model });
  }

  filePinned(model: string): void {
    this.#pins.inc({ model });
  }

  canaryRecorded(model: string): void {
    this.#recorded.inc({ model });
  }
}
