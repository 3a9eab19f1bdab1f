import { TesseraError, taskIdSchema, taskViewSchema } from '@tessera/shared';
import type { ChatCompletionRequest, NodeId, TaskId, TaskView, WorkerWelcome } from '@tessera/shared';
import { ApiError, apiErrorFromResponse } from '../api/api-error.ts';
import type { TabIdentity } from '../identity/tab-identity.ts';
import { connectionSinks } from './connection-sinks.ts';
import { CoordinatorConnection } from './coordinator-connection.ts';
import { DirectStreamReceiver, type DirectStreamState } from '../peer/direct-stream-receiver.ts';
import { MemoryModelFileStore } from '../model-files/model-file-store.ts';
import type { PeerNetwork, PeerNetworkOptions } from '../peer/peer-network.ts';

export interface DirectTaskClientOptions {
  origin: string;
  identity: Pick<TabIdentity, 'publicKey'>;
  createPeerNetwork: (options: PeerNetworkOptions) => PeerNetwork | null;
  /** Poll interval for the task's final state. Default 150 ms. */
  pollMs?: number;
}

/** A chat completion that streamed straight from the worker, and what the coordinator settled on. */
export interface DirectChatOutcome {
  taskId: TaskId;
  /** The coordinator's answer (signed by the worker, checked when sampled): what the caller should use. */
  text: string;
  /** The text that came over the peer link, and whether it was complete and equal to `text`. */
  direct: DirectStreamState;
  matched: boolean;
  task: TaskView;
}

/**
 * A page that submits chat tasks and takes their text straight from the worker: it joins the coordinator
 * as a `requester` (runs nothing), accepts the links workers open to it, and submits through the native
 * tasks API with `direct_stream`. The final text always comes from the coordinator; the direct text is a
 * faster preview, compared with it at the end.
 */
export class DirectTaskClient {
  readonly #options: DirectTaskClientOptions;
  readonly #receiver = new DirectStreamReceiver();
  #connection: CoordinatorConnection | null = null;
  #peers: PeerNetwork | null = null;
  #welcome: WorkerWelcome | null = null;
  #welcomed: Promise<WorkerWelcome> | null = null;

  constructor(options: DirectTaskClientOptions) {
    this.#options = options;
  }

  /** Connects once; resolves with the welcome that names this tab's node id and stream key. */
  connect(timeoutMs = 10_000): Promise<WorkerWelcome> {
    if (this.#welcomed !== null) return this.#welcomed;
    this.#welcomed = new Promise<WorkerWelcome>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TesseraError('internal_error', 'The coordinator did not welcome this page in time.')),
        timeoutMs,
      );
      const connection = new CoordinatorConnection({
        origin: this.#options.origin,
        hello: () => ({
          role: 'requester',
          publicKey: this.#options.identity.publicKey,
          capabilities: {
            userAgent: navigator.userAgent.slice(0, 512),
            hardwareConcurrency: 1,
            gpu: null,
            backends: [],
            engines: [],
            models: [],
            benchmarkTokensPerSecond: null,
            maxConcurrentTasks: 1,
          },
        }),
        heartbeat: () => ({ activeTaskIds: [], models: [] }),
      });
      connection.on('worker:welcome', (welcome) => {
        this.#welcome = welcome;
        if (this.#peers !== null) this.#peers.iceServers = welcome.iceServers;
        clearTimeout(timer);
        resolve(welcome);
      });
      // A requester is never given work; anything else is the coordinator's mistake and is refused.
      const refusal = 'This page only submits tasks.';
      connection.on('task:assign', ({ taskId }) =>
        connection.send('task:error', { taskId, code: 'no_capacity', message: refusal, retryable: true }),
      );
      connection.on('verify:assign', (assign) =>
        connection.send('verify:error', { jobId: assign.jobId, code: 'invalid_request', message: refusal }),
      );
      connection.on('peer:signal', (signal) => this.#peers?.handleSignal(signal));
      connection.on('peer:seeders', (seeders) => this.#peers?.handleSeeders(seeders));
      this.#peers = this.#options.createPeerNetwork({
        channel: connectionSinks(connection).peer,
        catalog: [],
        store: new MemoryModelFileStore(),
        onTaskStream: (from: NodeId, frame) => this.#receiver.handle(from, frame),
      });
      this.#connection = connection;
      connection.connect();
    });
    this.#welcomed.catch(() => {
      this.#welcomed = null;
    });
    return this.#welcomed;
  }

  /** Submits a chat task whose text should stream here; `onDirect` sees the text as it arrives. */
  async chat(
    request: Omit<ChatCompletionRequest, 'stream'>,
    onDirect: (state: DirectStreamState) => void,
    signal?: AbortSignal,
  ): Promise<DirectChatOutcome> {
    const welcome = this.#welcome ?? (await this.connect());
    const created = await fetch(`${this.#options.origin}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'chat.completion',
        request,
        direct_stream: { node_id: welcome.nodeId, stream_key: welcome.directStreamKey },
      }),
      signal: signal ?? null,
    });
    if (!created.ok) throw await apiErrorFromResponse(created);
    const view = taskViewSchema.safeParse(await created.json());
    if (!view.success) throw new ApiError(created.status, 'POST /api/v1/tasks answered with an unexpected body.');
    const taskId = taskIdSchema.parse(view.data.id);
    this.#receiver.expect(taskId, onDirect);
    try {
      const task = await this.#settled(taskId, signal);
      const direct = this.#receiver.forget(taskId) ?? { text: '', status: 'waiting', from: null, chunks: 0 };
      if (task.status !== 'succeeded' || task.result === null || !('choices' in task.result)) {
        throw new ApiError(502, task.error?.message ?? `The task ${task.status}.`);
      }
      const text = task.result.choices[0]?.message.content ?? '';
      return { taskId, text, direct, matched: direct.status === 'complete' && direct.text === text, task };
    } finally {
      this.#receiver.forget(taskId);
    }
  }

  close(): void {
    this.#connection?.close();
    void this.#peers?.close();
    this.#connection = null;
    this.#peers = null;
    this.#welcome = null;
    this.#welcomed = null;
  }

  async #settled(taskId: TaskId, signal?: AbortSignal): Promise<TaskView> {
    for (;;) {
      const response = await fetch(`${this.#options.origin}/api/v1/tasks/${taskId}`, { signal: signal ?? null });
      if (!response.ok) throw await apiErrorFromResponse(response);
      const view = taskViewSchema.parse(await response.json());
      if (view.status === 'succeeded' || view.status === 'failed' || view.status === 'cancelled') return view;
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs ?? 150));
    }
  }
}
