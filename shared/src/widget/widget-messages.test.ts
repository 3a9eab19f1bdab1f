import { describe, expect, it } from 'vitest';
import { WIDGET_PROTOCOL, widgetCommand, widgetCommandSchema, widgetNotice, widgetNoticeSchema } from './widget-messages.ts';

describe('widget bridge messages', () => {
  it('builds and parses commands and notices', () => {
    expect(widgetCommand({ type: 'ask', id: 'q1', text: 'Tessera' })).toEqual({
      protocol: WIDGET_PROTOCOL,
      type: 'ask',
      id: 'q1',
      text: 'Tessera',
    });
    expect(widgetNoticeSchema.parse(widgetNotice({ type: 'stopped', reason: 'hidden' })).type).toBe('stopped');
  });

  it('refuses what a host page might forge: unknown types, extra fields, another protocol', () => {
    expect(widgetCommandSchema.safeParse({ protocol: WIDGET_PROTOCOL, type: 'consent', granted: true }).success).toBe(false);
    expect(widgetCommandSchema.safeParse({ protocol: WIDGET_PROTOCOL, type: 'start', publicKey: 'x' }).success).toBe(false);
    expect(widgetCommandSchema.safeParse({ protocol: 'tessera-widget/0', type: 'start' }).success).toBe(false);
    expect(widgetCommandSchema.safeParse('start').success).toBe(false);
    expect(widgetNoticeSchema.safeParse({ protocol: WIDGET_PROTOCOL, type: 'error', id: null, code: 'made_up', message: '' }).success).toBe(
      false,
    );
  });
});
