import type { AnthropicStreamEvent, ChatTaskSpec } from '@tessera/shared';
import type { AnthropicAnswer } from './anthropic-tools-mapping.ts';
import { ToolCallTextFilter } from './tool-call-parsing.ts';

/**
 * The content blocks of a streamed message, as Anthropic's events. Without tools: one text block, opened at
 * once, each delta as it comes. With tools: text that may be a tool call is held back, and so is whitespace
 * at the text's ends (the answer's text is trimmed of it); the text block opens at the first text, so an
 * answer of tool calls only has none, as the whole message has none. The calls follow once the answer is
 * complete, one `tool_use` block each, its input in one `input_json_delta` (Anthropic's SDK accumulates those
 * into `input`).
 */
export class AnthropicContentStream {
  readonly #event: (data: AnthropicStreamEvent) => string;
  readonly #filter: ToolCallTextFilter | null;
  /** Whitespace held back: it is sent only once more text follows it. */
  #pending = '';
  #sent = '';
  #textOpen = false;

  constructor(spec: ChatTaskSpec, event: (data: AnthropicStreamEvent) => string) {
    this.#event = event;
    this.#filter = spec.tools === undefined ? null : new ToolCallTextFilter();
  }

  /** The frames after `message_start`. */
  open(): string {
    return this.#filter === null ? this.#openText() : '';
  }

  delta(text: string): string {
    if (this.#filter === null) return this.#textDelta(text);
    let out = this.#pending + this.#filter.push(text);
    if (this.#sent === '') out = out.trimStart();
    const body = out.trimEnd();
    this.#pending = out.slice(body.length);
    return body === '' ? '' : this.#textDelta(body);
  }

  /**
   * The frames that close the content: the rest of the answer's text (a tool call cut off by `max_tokens`
   * stays text, as in the whole message), then each tool call.
   */
  done(answer: AnthropicAnswer): string {
    const rest = this.#filter !== null && answer.text.startsWith(this.#sent) ? answer.text.slice(this.#sent.length) : '';
    const calls = answer.content.filter((block) => block.type === 'tool_use');
    let out = rest === '' ? '' : this.#textDelta(rest);
    // An empty answer without calls still has its (empty) text block, as the whole message does.
    if (!this.#textOpen && calls.length === 0) out += this.#openText();
    if (this.#textOpen) out += this.#event({ type: 'content_block_stop', index: 0 });
    const first = this.#textOpen ? 1 : 0;
    calls.forEach((call, offset) => {
      const index = first + offset;
      out +=
        this.#event({ type: 'content_block_start', index, content_block: { ...call, input: {} } }) +
        this.#event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(call.input) } }) +
        this.#event({ type: 'content_block_stop', index });
    });
    return out;
  }

  #openText(): string {
    this.#textOpen = true;
    return this.#event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  }

  #textDelta(text: string): string {
    this.#sent += text;
    return (
      (this.#textOpen ? '' : this.#openText()) + this.#event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })
    );
  }
}
