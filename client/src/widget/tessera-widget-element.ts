import {
  WIDGET_ATTRIBUTES,
  assertNever,
  parseWidgetSettings,
  widgetCommand,
  widgetNoticeSchema,
  widgetSettingsQuery,
} from '@tessera/shared';
import type { WidgetCommand, WidgetNotice, WidgetSettings } from '@tessera/shared';

/** The element's own styles. `!important` on `:host` wins over any page rule (`* { all: unset }` included). */
const STYLE = `
:host { display: block !important; box-sizing: border-box !important; width: 100% !important; max-width: 28rem !important;
  min-width: 0 !important; margin: 0 !important; padding: 0 !important; border: 0 !important; background: transparent !important;
  visibility: visible !important; opacity: 1 !important; position: static !important; }
:host([position="bottom-right"]) { position: fixed !important; right: 16px !important; bottom: 16px !important;
  width: min(22rem, calc(100vw - 32px)) !important; z-index: 2147483000 !important; }
iframe { display: block !important; width: 100% !important; height: var(--tessera-height, 180px) !important; border: 0 !important;
  margin: 0 !important; padding: 0 !important; background: transparent !important; color-scheme: normal; }
`;

interface PendingAnswer {
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

/** An `ask()` the frame answered with an error: its `code` is one of the registry's. */
export class TesseraWidgetError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TesseraWidgetError';
    this.code = code;
  }
}

/**
 * `<tessera-widget>`: a cross-origin iframe on the coordinator's origin inside a closed shadow root. The frame
 * does everything (consent, the key, the engine, chat); this element only places it, relays the host's
 * `start()`, `stop()` and `ask(text)` to it over the typed bridge, and turns the frame's notices into DOM
 * events (`tessera:consent`, `tessera:serving`, `tessera:stopped`, `tessera:answer`, `tessera:error`). Only
 * messages from its own frame's window and the coordinator's origin are read.
 */
export class TesseraWidgetElement extends HTMLElement {
  static readonly observedAttributes: readonly string[] = WIDGET_ATTRIBUTES;
  readonly #coordinatorOrigin: string;
  readonly #root: ShadowRoot;
  #frame: HTMLIFrameElement | null = null;
  #frameReady = false;
  #queued: WidgetCommand[] = [];
  readonly #pending = new Map<string, PendingAnswer>();
  readonly #onMessage = (event: MessageEvent<unknown>): void => this.#receive(event);

  constructor(coordinatorOrigin: string) {
    super();
    this.#coordinatorOrigin = coordinatorOrigin;
    this.#root = this.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.#root.append(style);
  }

  connectedCallback(): void {
    addEventListener('message', this.#onMessage);
    if (this.#frame === null) this.#render();
  }

  disconnectedCallback(): void {
    removeEventListener('message', this.#onMessage);
  }

  attributeChangedCallback(_name: string, previous: string | null, next: string | null): void {
    if (previous !== next && this.#frame !== null) this.#render();
  }

  /** Contribute; before the visitor agreed, the frame only shows its consent question. */
  start(): void {
    this.#send(widgetCommand({ type: 'start' }));
  }

  /** Stop contributing (consent stays remembered). */
  stop(): void {
    this.#send(widgetCommand({ type: 'stop' }));
  }

  /** Ask the network (chat modes); resolves with the answer as plain text. Waits for the visitor's consent. */
  ask(text: string): Promise<string> {
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send(widgetCommand({ type: 'ask', id, text: String(text).slice(0, 4_000) }));
    });
  }

  get settings(): WidgetSettings {
    return parseWidgetSettings((name) => this.getAttribute(name)).settings;
  }

  #render(): void {
    const { settings, warnings } = parseWidgetSettings((name) => this.getAttribute(name));
    for (const warning of warnings) console.warn(`<tessera-widget>: ${warning}`);
    this.#frame?.remove();
    this.#frameReady = false;
    const frame = document.createElement('iframe');
    const query = widgetSettingsQuery(settings);
    frame.src = `${this.#coordinatorOrigin}/widget-frame${query === '' ? '' : `?${query}`}`;
    frame.title = 'Tessera';
    // The frame reads the embedding origin from ancestorOrigins; where a browser has none, from the referrer.
    frame.referrerPolicy = 'origin';
    this.#frame = frame;
    this.#root.append(frame);
  }

  #send(command: WidgetCommand): void {
    const target = this.#frame?.contentWindow;
    if (!this.#frameReady || target == null) {
      this.#queued.push(command);
      return;
    }
    target.postMessage(command, this.#coordinatorOrigin);
  }

  #receive(event: MessageEvent<unknown>): void {
    if (this.#frame === null || event.source !== this.#frame.contentWindow || event.origin !== this.#coordinatorOrigin) return;
    const parsed = widgetNoticeSchema.safeParse(event.data);
    if (!parsed.success) return;
    this.#handle(parsed.data);
  }

  #handle(notice: WidgetNotice): void {
    switch (notice.type) {
      case 'ready':
        this.#frameReady = true;
        for (const command of this.#queued.splice(0)) this.#send(command);
        return;
      case 'resize':
        this.style.setProperty('--tessera-height', `${Math.max(80, notice.height + 2)}px`);
        return;
      case 'consent':
        this.#emit('tessera:consent', { granted: notice.granted, remembered: notice.remembered });
        return;
      case 'serving':
        this.#emit('tessera:serving', {});
        return;
      case 'stopped':
        this.#emit('tessera:stopped', { reason: notice.reason });
        return;
      case 'answer':
        this.#pending.get(notice.id)?.resolve(notice.text);
        this.#pending.delete(notice.id);
        this.#emit('tessera:answer', { id: notice.id, text: notice.text });
        return;
      case 'error':
        if (notice.id !== null) {
          this.#pending.get(notice.id)?.reject(new TesseraWidgetError(notice.code, notice.message));
          this.#pending.delete(notice.id);
        }
        this.#emit('tessera:error', { id: notice.id, code: notice.code, message: notice.message });
        return;
      default:
        assertNever(notice);
    }
  }

  #emit(type: string, detail: Record<string, unknown>): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}
