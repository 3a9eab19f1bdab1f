/**
 * Where a chat task's text goes when its requester asked for it directly (`directStream` in the
 * assignment): `push` each delta, then `end`. Falls back to `task:chunk`s by itself when the link fails.
 */
export interface DirectTextStream {
  push(delta: string): void;
  /** Resolves once the text is flushed (or handed to the fallback); `direct` says whether it all went peer to peer. */
  end(status: 'complete' | 'abandoned'): Promise<{ direct: boolean }>;
}
