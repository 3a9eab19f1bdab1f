import { createServer, type Server } from 'node:http';
import type { Frame, Page } from 'playwright-core';

/**
 * A site that embeds the widget, on another origin than the coordinator (`http://localhost:PORT` while the
 * coordinator is on `http://127.0.0.1:PORT`: another site, so the widget's frame is third-party there). Its
 * pages record the widget's DOM events and their own long tasks; `hostile=1` adds aggressive global CSS.
 */
export interface WidgetHost {
  origin: string;
  /** A host page with `<tessera-widget {attributes}>`. */
  pageUrl(attributes: Record<string, string>, options?: { hostile?: boolean }): string;
  close(): Promise<void>;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function hostPage(coordinatorUrl: string, attributes: string, hostile: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A site that embeds Tessera</title>
<script>
  window.tesseraEvents = [];
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  for (const type of ['tessera:consent', 'tessera:serving', 'tessera:stopped', 'tessera:answer', 'tessera:error'])
    document.addEventListener(type, (event) => window.tesseraEvents.push({ type, detail: event.detail, at: performance.now() }));
</script>
${hostile ? '<style>* { all: unset } button { display: none } iframe { display: none }</style>' : ''}
<script type="module" src="${coordinatorUrl}/widget.js"></script>
</head><body><h1>The host's own page</h1><p>Some text of the host.</p>
<tessera-widget ${attributes}></tessera-widget>
</body></html>`;
}

export async function startWidgetHost(coordinatorUrl: string): Promise<WidgetHost> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/') {
      response.writeHead(404).end();
      return;
    }
    const attributes = [...url.searchParams]
      .filter(([name]) => name !== 'hostile')
      .map(([name, value]) => `${name}="${escapeAttribute(value)}"`)
      .join(' ');
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(hostPage(coordinatorUrl, attributes, url.searchParams.get('hostile') === '1'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the host server has no port');
  const origin = `http://localhost:${address.port}`;
  return {
    origin,
    pageUrl: (attributes, options = {}) => {
      const params = new URLSearchParams(attributes);
      if (options.hostile === true) params.set('hostile', '1');
      return `${origin}/?${params.toString()}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The widget's frame in a host page (the coordinator's `/widget-frame`). */
export async function widgetFrame(page: Page, coordinatorUrl: string, timeoutMs = 20_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = page.frames().find((candidate) => candidate.url().startsWith(`${coordinatorUrl}/widget-frame`));
    if (frame !== undefined) {
      await frame.waitForSelector('[data-testid="widget-frame"]', { timeout: Math.max(1, deadline - Date.now()) });
      return frame;
    }
    if (Date.now() > deadline) throw new Error('the widget frame did not load');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface RecordedWidgetEvent {
  type: string;
  detail: Record<string, unknown>;
  at: number;
}

export async function widgetEvents(page: Page): Promise<RecordedWidgetEvent[]> {
  return page.evaluate(() => (window as unknown as { tesseraEvents: RecordedWidgetEvent[] }).tesseraEvents);
}
