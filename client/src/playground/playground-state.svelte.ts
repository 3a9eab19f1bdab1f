import type { ChatMessageInput, CompletionUsage, FinishReason, ModelObject } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { OpenAIClient } from '../api/openai-client.ts';

export interface PlaygroundMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ReplyStats {
  finishReason: FinishReason | null;
  usage: CompletionUsage | null;
  firstDeltaMs: number | null;
  totalMs: number;
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

  readonly chatModels: ModelObject[] = $derived(this.models.filter((model) => model.task === 'text-generation'));
  readonly busy: boolean = $derived(this.streaming !== null);

  readonly #client: OpenAIClient;
  #abort: AbortController | null = null;

  constructor(origin: string) {
    this.#client = new OpenAIClient({ origin });
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
      this.lastStats = { finishReason: reply.finishReason, usage: reply.usage, firstDeltaMs: reply.firstDeltaMs, totalMs: performance.now() - started };
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
