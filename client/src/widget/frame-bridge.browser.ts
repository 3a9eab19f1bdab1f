import { WIDGET_PROTOCOL, widgetCommandSchema, widgetNotice } from '@tessera/shared';
import type { WidgetCommand, WidgetNotice } from '@tessera/shared';

type NoticeBody = WidgetNotice extends infer Notice ? (Notice extends unknown ? Omit<Notice, 'protocol'> : never) : never;

/**
 * The page this frame is embedded in, as the browser says it: `location.ancestorOrigins[0]` (Chromium,
 * WebKit), else the referrer's origin (Firefox; a host can hide it, never forge it). null when not framed
 * or when the browser told neither. The host page cannot set either: it is what the coordinator is told.
 */
export function embeddingOrigin(): string | null {
  if (window.parent === window) return null;
  const ancestors = location.ancestorOrigins as DOMStringList | undefined;
  const first = ancestors?.item(0);
  if (first != null && first !== 'null') return first;
  if (document.referrer === '') return null;
  try {
    const origin = new URL(document.referrer).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * The frame's end of the bridge: commands only from the parent window, only from the embedding origin
 * (when known), only if they parse; notices only to the parent, addressed to that origin.
 */
export function openFrameBridge(pageOrigin: string | null, onCommand: (command: WidgetCommand) => void): (notice: NoticeBody) => void {
  if (window.parent === window) return () => undefined;
  addEventListener('message', (event: MessageEvent<unknown>) => {
    if (event.source !== window.parent) return;
    if (pageOrigin !== null && event.origin !== pageOrigin) return;
    const parsed = widgetCommandSchema.safeParse(event.data);
    if (!parsed.success) {
      const data: unknown = event.data;
      const ours = typeof data === 'object' && data !== null && Reflect.get(data, 'protocol') === WIDGET_PROTOCOL;
      if (ours) console.warn(`tessera widget: refused a message from the page: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    onCommand(parsed.data);
  });
  return (notice) => window.parent.postMessage(widgetNotice(notice), pageOrigin ?? '*');
}
