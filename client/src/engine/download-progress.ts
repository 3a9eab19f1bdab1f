import type { LoadProgress } from '@tessera/shared';

/**
 * The per-file events transformers.js reports while loading, reduced to what the aggregator needs
 * (its own `ProgressInfo` union is wider and mostly `any`-typed at the edges).
 */
export type FileProgressEvent =
  | { status: 'initiate' | 'download' | 'done'; file: string }
  | { status: 'progress'; file: string; loaded: number; total: number }
  | { status: 'progress_total'; loaded: number; total: number }
  | { status: 'ready' };

interface FileState {
  loaded: number;
  total: number;
  done: boolean;
}

/**
 * Sums per-file download progress into one bar per model. Totals grow as files start, so the catalog's
 * expected size keeps the bar from jumping backwards; a cached file reports no bytes, only `done`.
 */
export class DownloadProgress {
  readonly #modelId: string;
  readonly #expectedBytes: number;
  readonly #files = new Map<string, FileState>();
  #aggregate: { loaded: number; total: number } | null = null;
  #detail = 'starting';

  constructor(modelId: string, expectedBytes: number) {
    this.#modelId = modelId;
    this.#expectedBytes = expectedBytes;
  }

  update(event: FileProgressEvent): LoadProgress {
    switch (event.status) {
      case 'initiate':
      case 'download':
        if (!this.#files.has(event.file)) this.#files.set(event.file, { loaded: 0, total: 0, done: false });
        this.#detail = `fetching ${event.file}`;
        break;
      case 'progress':
        this.#files.set(event.file, { loaded: event.loaded, total: event.total, done: false });
        this.#detail = `fetching ${event.file}`;
        break;
      case 'progress_total':
        this.#aggregate = { loaded: event.loaded, total: event.total };
        break;
      case 'done': {
        const file = this.#files.get(event.file);
        this.#files.set(event.file, { loaded: file?.total ?? 0, total: file?.total ?? 0, done: true });
        this.#detail = `loaded ${event.file}`;
        break;
      }
      case 'ready':
        this.#detail = 'creating inference session';
        break;
    }
    return this.snapshot();
  }

  snapshot(): LoadProgress {
    let loaded = 0;
    let total = 0;
    for (const file of this.#files.values()) {
      loaded += file.loaded;
      total += file.total;
    }
    if (this.#aggregate !== null && this.#aggregate.total >= total) {
      loaded = Math.max(loaded, this.#aggregate.loaded);
      total = this.#aggregate.total;
    }
    const denominator = Math.max(total, this.#expectedBytes);
    const allDone = this.#files.size > 0 && [...this.#files.values()].every((file) => file.done);
    const fraction = allDone ? 1 : denominator > 0 ? Math.min(1, loaded / denominator) : 0;
    return {
      modelId: this.#modelId,
      loadedBytes: loaded,
      totalBytes: denominator > 0 ? denominator : null,
      fraction,
      detail: this.#detail,
    };
  }

  /** The bar at 100 %, once the model can run. */
  complete(): LoadProgress {
    const snapshot = this.snapshot();
    return { ...snapshot, fraction: 1, loadedBytes: snapshot.totalBytes ?? snapshot.loadedBytes, detail: 'ready' };
  }
}
