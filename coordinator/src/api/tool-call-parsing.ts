import type { ChatToolCall } from '@tessera/shared';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

/** An answer's text split into what the model said and the tool calls it made. */
export interface ParsedAnswer {
  /** The text outside tool calls, trimmed; null when the answer is tool calls only. */
  content: string | null;
  toolCalls: ChatToolCall[];
}

function parsedCall(body: string, id: string): ChatToolCall | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const name: unknown = Reflect.get(value, 'name');
  const args: unknown = Reflect.get(value, 'arguments') ?? {};
  if (typeof name !== 'string' || typeof args !== 'object' || args === null) return null;
  return { id, type: 'function', function: { name, arguments: JSON.stringify(args) } };
}

/**
 * Tool calls in the Hermes format (`<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`), as the tab's
 * grammar made the model write them, turned into OpenAI's `tool_calls`. A block that does not parse (cut
 * off by `max_tokens`) stays in the text, as the model wrote it. Ids are the task's, so a replay gives the
 * same ones.
 */
export function parseHermesToolCalls(text: string, idPrefix: string): ParsedAnswer {
  const toolCalls: ChatToolCall[] = [];
  let content = '';
  let at = 0;
  for (;;) {
    const start = text.indexOf(OPEN, at);
    const end = start === -1 ? -1 : text.indexOf(CLOSE, start + OPEN.length);
    if (end === -1) break;
    const call = parsedCall(text.slice(start + OPEN.length, end).trim(), `${idPrefix}_${toolCalls.length}`);
    content += text.slice(at, call === null ? end + CLOSE.length : start);
    if (call !== null) toolCalls.push(call);
    at = end + CLOSE.length;
  }
  content = (content + text.slice(at)).trim();
  return { content: content === '' && toolCalls.length > 0 ? null : content, toolCalls };
}

/**
 * For streams with tools: passes text through as it comes, but holds back whatever may be (the start of) a
 * tool call, which the stream sends as `tool_calls` once the answer is complete.
 */
export class ToolCallTextFilter {
  #held = '';
  #inCall = false;

  /** The part of `delta` that is certainly text outside tool calls. */
  push(delta: string): string {
    this.#held += delta;
    let out = '';
    for (;;) {
      if (this.#inCall) {
        const close = this.#held.indexOf(CLOSE);
        if (close === -1) return out;
        this.#held = this.#held.slice(close + CLOSE.length);
        this.#inCall = false;
        continue;
      }
      const open = this.#held.indexOf(OPEN);
      if (open !== -1) {
        out += this.#held.slice(0, open);
        this.#held = this.#held.slice(open + OPEN.length);
        this.#inCall = true;
        continue;
      }
      // Keep a tail that could still grow into "<tool_call>".
      let keep = Math.min(OPEN.length - 1, this.#held.length);
      while (keep > 0 && !OPEN.startsWith(this.#held.slice(-keep))) keep--;
      out += this.#held.slice(0, this.#held.length - keep);
      this.#held = this.#held.slice(this.#held.length - keep);
      return out;
    }
  }
}
