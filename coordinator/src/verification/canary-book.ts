import { canonicalJson, findModel, knownAnswerSchema } from '@tessera/shared';
import type { KnownAnswer, ModelCatalogEntry, ModelDtype, TaskOutput, TaskSpec } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';

export interface CanaryBookOptions {
  db: SqlDatabase;
  catalog: readonly ModelCatalogEntry[];
  /** Recorded answers kept per model; the first ones confirmed win. */
  maxRecordedPerModel?: number;
  now?: () => number;
  /** Told of each answer kept (metrics, logs). */
  onRecorded?: (modelId: string, answer: KnownAnswer) => void;
}

/** Longest prompt or text kept as a canary: a check should cost a tab little. */
const MAX_RECORDED_CHARS = 4000;
const MAX_RECORDED_TOKENS = 64;

const recordedRowsSchema = z.array(z.object({ model: z.string(), ask: z.string(), answer: z.string() }));
// Ties of the same millisecond in a fixed order on both databases (PostgreSQL has no rowid); which answer
// comes first changes nothing, since checks draw among them at random.
const RECORDED = 'SELECT model, ask, answer FROM recorded_canaries ORDER BY recorded_at, model, ask';
const RECORD = `INSERT INTO recorded_canaries (model, ask, answer, worker_key, recorded_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (model, ask) DO NOTHING`;

/**
 * The known answers the coordinator asks of tabs, per model: the catalog's (a trusted reference run,
 * `npm run models:hash`) or, for a model the catalog gives none, answers recorded from results a guard
 * confirmed. Only what can be asked again exactly is recorded: a greedy chat task of one user message and
 * no stop sequences, or an embedding of one text; only from tasks whose caller set no minimum tier (a
 * recorded prompt is later sent to other tabs). The guard that confirmed was never the worker's own key
 * (`mayCheck`). Recorded answers live in the database and survive restarts.
 */
export class CanaryBook {
  readonly #options: CanaryBookOptions;
  readonly #recorded = new Map<string, KnownAnswer[]>();
  readonly #asks = new Set<string>();

  constructor(options: CanaryBookOptions) {
    this.#options = options;
    for (const row of recordedRowsSchema.parse(options.db.all(RECORDED))) {
      const parsed = knownAnswerSchema.safeParse(JSON.parse(row.answer));
      if (!parsed.success) continue;
      this.#asks.add(`${row.model}\n${row.ask}`);
      this.#recorded.set(row.model, [...(this.#recorded.get(row.model) ?? []), parsed.data]);
    }
  }

  /** The known answers of a model: the catalog's, else the recorded ones; empty when there are none yet. */
  answers(modelId: string): readonly KnownAnswer[] {
    const reference = findModel(this.#options.catalog, modelId)?.knownAnswers ?? [];
    return reference.length > 0 ? reference : (this.#recorded.get(modelId) ?? []);
  }

  /** Records guard-confirmed results as they are stored (the event fires inside the result's transaction). */
  listen(events: CoordinatorEventBus): void {
    events.on('task:succeeded', ({ record, result, worker }) => {
      if (result.check !== 'passed' || record.minTier !== null) return;
      const backend = worker.offeredModels.get(record.spec.model)?.backend;
      const dtype = backend === undefined ? undefined : findModel(this.#options.catalog, record.spec.model)?.dtype[backend];
      this.record(record.spec, result.output, worker.key.publicKey, dtype);
    });
  }

  /**
   * Keeps a confirmed answer as a known answer of its model when it can be asked again exactly; true if
   * kept. `dtype`: the weights the worker ran (its backend's), so only tabs loading the same are asked it.
   */
  record(spec: TaskSpec, output: TaskOutput, workerKey: string, dtype?: ModelDtype): boolean {
    const entry = findModel(this.#options.catalog, spec.model);
    if (entry === undefined || entry.knownAnswers.length > 0) return false;
    const kept = this.#recorded.get(spec.model) ?? [];
    if (kept.length >= (this.#options.maxRecordedPerModel ?? 8)) return false;
    const askable = askableAnswer(spec, output);
    if (askable === undefined) return false;
    const answer: KnownAnswer = dtype === undefined ? askable : { ...askable, dtype };
    const asked = answer.kind === 'chat' ? { prompt: answer.prompt, maxTokens: answer.maxTokens } : { text: answer.text };
    const ask = canonicalJson({ ...asked, dtype: answer.dtype ?? null });
    const key = `${spec.model}\n${ask}`;
    if (this.#asks.has(key)) return false;
    this.#options.db.run(RECORD, [spec.model, ask, JSON.stringify(answer), workerKey, (this.#options.now ?? Date.now)()]);
    this.#asks.add(key);
    this.#recorded.set(spec.model, [...kept, answer]);
    this.#options.onRecorded?.(spec.model, answer);
    return true;
  }
}

/** The known answer a confirmed result gives, if its task can be asked again in the shape checks use. */
function askableAnswer(spec: TaskSpec, output: TaskOutput): KnownAnswer | undefined {
  if (spec.kind === 'embeddings') {
    const [text, ...more] = spec.texts;
    const [vector] = output.kind === 'embeddings' ? output.vectors : [];
    if (text === undefined || more.length > 0 || vector === undefined || text.length > MAX_RECORDED_CHARS) return undefined;
    return { kind: 'embeddings', text, expectedVector: vector };
  }
  const [message, ...more] = spec.messages;
  const { params } = spec;
  if (output.kind !== 'chat' || message === undefined || more.length > 0 || message.role !== 'user') return undefined;
  if (params.temperature !== 0 || params.stop.length > 0 || message.content.length === 0 || message.content.length > MAX_RECORDED_CHARS)
    return undefined;
  // An empty answer tells a broken device from a working one no better than nothing; a long one costs too much to ask again.
  if (output.tokenIds.length === 0 || output.tokenIds.length > MAX_RECORDED_TOKENS) return undefined;
  return {
    kind: 'chat',
    prompt: message.content,
    maxTokens: params.maxTokens,
    expectedCompletion: output.text,
    finishReason: output.finishReason,
  };
}
