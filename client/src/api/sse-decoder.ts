/**
 * Incremental decoder for `text/event-stream`: feed it text as it arrives, get back the `data` of each
 * complete event (multi-line data joined by newlines). Comments, `event:`, `id:` and `retry:` lines are
 * ignored: the OpenAI stream uses only `data:`.
 */
export class SseDecoder {
  #buffer = '';
  #data: string[] = [];

  push(text: string): string[] {
    this.#buffer += text;
    const events: string[] = [];
    let newline = this.#buffer.search(/\r\n|\r|\n/);
    while (newline !== -1) {
      const line = this.#buffer.slice(0, newline);
      const width = this.#buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone '\r' at the end of the buffer may be the first half of '\r\n'; wait for more.
      if (width === 1 && this.#buffer[newline] === '\r' && newline === this.#buffer.length - 1) break;
      this.#buffer = this.#buffer.slice(newline + width);
      const event = this.#line(line);
      if (event !== null) events.push(event);
      newline = this.#buffer.search(/\r\n|\r|\n/);
    }
    return events;
  }

  /** The stream ended: an event not followed by a blank line still counts. */
  end(): string[] {
    const events = this.#buffer.length > 0 ? this.push('\n') : [];
    if (this.#data.length > 0) {
      events.push(this.#data.join('\n'));
      this.#data = [];
    }
    return events;
  }

  #line(line: string): string | null {
    if (line === '') {
      if (this.#data.length === 0) return null;
      const event = this.#data.join('\n');
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    return null;
  }
}
