import type { NodeId, TaskId, TaskStreamEndFrame, TaskStreamFrame } from '@tessera/shared';

export type DirectStreamStatus = 'waiting' | 'streaming' | 'complete' | 'abandoned';

/** What arrived for one task over peer links. */
export interface DirectStreamState {
  text: string;
  status: DirectStreamStatus;
  /** The worker whose frames were taken; frames from any other tab for this task are ignored. */
  from: NodeId | null;
  chunks: number;
}

/**
 * The requesting tab's side of direct streams: text per task id, in order. Frames for tasks this tab did
 * not ask for, out of order, or from a second tab are ignored (the stream is then `abandoned` where the
 * order broke); the coordinator's result stays the answer in every case.
 */
export class DirectStreamReceiver {
  readonly #streams = new Map<TaskId, { state: DirectStreamState; onChange: (state: DirectStreamState) => void }>();

  /** Starts accepting frames for a task this tab submitted. */
  expect(taskId: TaskId, onChange: (state: DirectStreamState) => void = () => undefined): DirectStreamState {
    const state: DirectStreamState = { text: '', status: 'waiting', from: null, chunks: 0 };
    this.#streams.set(taskId, { state, onChange });
    return state;
  }

  /** Stops tracking a task; returns what arrived. */
  forget(taskId: TaskId): DirectStreamState | undefined {
    const entry = this.#streams.get(taskId);
    this.#streams.delete(taskId);
    return entry?.state;
  }

  handle(from: NodeId, frame: TaskStreamFrame | TaskStreamEndFrame): void {
    const entry = this.#streams.get(frame.taskId);
    if (entry === undefined) return;
    const { state } = entry;
    if (state.status === 'complete') return;
    // A hand-off brings a second worker; its text starts over, so the first one's partial text is dropped.
    // The first one usually says `abandoned` before the second begins, so that is not final either.
    const restart = state.from !== null && state.from !== from;
    if (restart) {
      if (frame.type !== 'task:stream' || frame.seq !== 0) return;
      state.text = '';
      state.chunks = 0;
    } else if (state.status === 'abandoned') {
      return;
    }
    state.from = from;
    if (frame.type === 'task:stream') {
      if (frame.seq !== state.chunks) {
        state.status = 'abandoned';
      } else {
        state.text += frame.delta;
        state.chunks++;
        state.status = 'streaming';
      }
    } else {
      state.status = frame.status === 'complete' && frame.chunks === state.chunks ? 'complete' : 'abandoned';
    }
    entry.onChange({ ...state });
  }
}
