import type { ChatMessageInput, CompletionUsage, FinishReason, ModelObject } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import type { OpenAIClient } from '../api/openai-client.ts';
import type { DirectStreamState } from '../peer/direct-stream-receiver.ts';
import type { DirectTaskClient } from '../node/direct-task-client.ts';

export interface PlaygroundMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ReplyStats {
  finishReason: FinishReason | null;
  usage: CompletionUsage | null;
  firstDeltaMs: number | null;
  totalMs: number;
  /** Set when the reply streamed straight from the worker: how that went and whether it matched. */
  direct: { status: DirectStreamState['status']; worker: string | null; matched: boolean } | null;
}

/** Chat against the coordinator's OpenAI API, streamed. */
export class PlaygroundState {
  models = $state.raw<ModelObject[]>([]);
  model = $state('');
  systemPrompt = $state('');
  temperature = $state(0);
  maxTokens = $state(64);
  draft = $state('');
  messages = $state.raw<PlaygroundMessage[]>([]);
  /** The assistant reply being streamed, shown after `messages`. */
  streaming = $state<string | null>(null);
  error = $state<string | null>(null);
  modelsError = $state<string | null>(null);
  lastStats = $state.raw<ReplyStats | null>(null);
  /** Take the reply's text straight from the worker over WebRTC (the coordinator's result still decides). */
  direct = $state(false);

  readonly chatModels: ModelObject[] = $derived(this.models.filter((model) => model.task === 'text-generation'));
  readonly busy: boolean = $derived(this.streaming !== null);

  readonly #client: OpenAIClient;
  readonly #directClient: (() => Promise<DirectTaskClient>) | null;
  #abort: AbortController | null = null;

  constructor(client: OpenAIClient, directClient: (() => Promise<DirectTaskClient>) | null = null) {
    this.#client = client;
    this.#directClient = directClient;
  }

  /** Whether this browser can take direct streams at all (WebRTC and a signing key). */
  get directAvailable(): boolean {
    return this.#directClient !== null;
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await this.#client.listModels();
      this.modelsError = null;
      const first = this.chatModels[0];
      if (!this.chatModels.some((model) => model.id === this.model) && first !== undefined) this.model = first.id;
    } catch (error) {
      this.modelsError = describeError(error);
    }
  }

  async send(): Promise<void> {
    const content = this.draft.trim();
    if (content === '' || this.busy || this.model === '') return;
    const history: PlaygroundMessage[] = [...this.messages, { role: 'user', content }];
    this.messages = history;
    this.draft = '';
    this.error = null;
    this.streaming = '';
    this.#abort = new AbortController();
    const started = performance.now();
    const messages: ChatMessageInput[] = [
      ...(this.systemPrompt.trim() ? [{ role: 'system' as const, content: this.systemPrompt.trim() }] : []),
      ...history,
    ];
    try {
      if (this.direct && this.#directClient !== null) {
        const client = await this.#directClient();
        let firstDeltaMs: number | null = null;
        const outcome = await client.chat(
          { model: this.model, messages, temperature: this.temperature, max_tokens: this.maxTokens },
          (state) => {
            if (state.text !== '') firstDeltaMs ??= performance.now() - started;
            this.streaming = state.text;
          },
          this.#abort.signal,
        );
        const result = outcome.task.result;
        const choice = result !== null && 'choices' in result ? result.choices[0] : undefined;
        this.messages = [...history, { role: 'assistant', content: outcome.text }];
        this.lastStats = {
          finishReason: choice?.finish_reason ?? null,
          usage: result !== null && 'choices' in result ? result.usage : null,
          firstDeltaMs,
          totalMs: performance.now() - started,
          direct: { status: outcome.direct.status, worker: outcome.direct.from, matched: outcome.matched },
        };
        return;
      }
      const reply = await this.#client.streamChat(
        { model: this.model, messages, temperature: this.temperature, max_tokens: this.maxTokens },
        {
          signal: this.#abort.signal,
          onDelta: (delta) => {
            this.streaming = (this.streaming ?? '') + delta;
          },
        },
      );
      this.messages = [...history, { role: 'assistant', content: reply.text }];
      this.lastStats = {
        finishReason: reply.finishReason,
        usage: reply.usage,
        firstDeltaMs: reply.firstDeltaMs,
        totalMs: performance.now() - started,
        direct: null,
      };
    } catch (error) {
      const partial = this.streaming ?? '';
      if (partial !== '') this.messages = [...history, { role: 'assistant', content: partial }];
      this.error = this.#abort?.signal.aborted ? 'Stopped.' : describeError(error);
    } finally {
      this.streaming = null;
      this.#abort = null;
    }
  }

  stop(): void {
    this.#abort?.abort();
  }

  clear(): void {
    this.stop();
    this.messages = [];
    this.error = null;
    this.lastStats = null;
  }
}
