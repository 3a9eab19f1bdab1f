import { describe, expect, it } from 'vitest';
import { DEFAULT_WIDGET_SETTINGS, parseWidgetSettings, widgetSettingsQuery } from './widget-settings.ts';
import type { WidgetAttribute } from './widget-settings.ts';

const from =
  (values: Partial<Record<WidgetAttribute, string>>) =>
  (name: WidgetAttribute): string | null =>
    values[name] ?? null;

describe('parseWidgetSettings', () => {
  it('gives the defaults for a bare element', () => {
    expect(parseWidgetSettings(from({}))).toEqual({ settings: DEFAULT_WIDGET_SETTINGS, warnings: [] });
  });

  it('reads every attribute', () => {
    const { settings, warnings } = parseWidgetSettings(
      from({
        mode: 'both',
        models: 'tessera/tiny-gpt2, tessera/tiny-bert',
        model: 'tessera/tiny-gpt2',
        'site-key': 'site_AAAAAAAAAAAAAAAAAAAAAA',
        theme: 'dark',
        position: 'bottom-right',
        'max-cpu': '0.25',
        lang: 'fr-CA',
        peers: 'off',
      }),
    );
    expect(warnings).toEqual([]);
    expect(settings).toEqual({
      mode: 'both',
      models: ['tessera/tiny-gpt2', 'tessera/tiny-bert'],
      model: 'tessera/tiny-gpt2',
      siteKey: 'site_AAAAAAAAAAAAAAAAAAAAAA',
      theme: 'dark',
      position: 'bottom-right',
      maxCpu: 0.25,
      lang: 'fr',
      peers: false,
    });
  });

  it('falls back to the default of an invalid value, with a warning', () => {
    const { settings, warnings } = parseWidgetSettings(from({ mode: 'mine', 'max-cpu': '4', 'site-key': 'nope', lang: 'xx' }));
    expect(settings).toEqual(DEFAULT_WIDGET_SETTINGS);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toContain('mode="mine"');
  });

  it('round-trips through the frame query string', () => {
    const { settings } = parseWidgetSettings(
      from({ mode: 'chat', models: 'a/b', 'max-cpu': '0.3', peers: 'off', 'site-key': 'site_BBBBBBBBBBBBBBBBBBBBBB' }),
    );
    // shared has no URLSearchParams (no DOM, no Node types): the query is read back by hand.
    const query = new Map(
      widgetSettingsQuery(settings)
        .split('&')
        .map((pair) => pair.split('=').map(decodeURIComponent) as [string, string]),
    );
    const read = (name: WidgetAttribute): string | null => query.get(name) ?? null;
    expect(parseWidgetSettings(read).settings).toEqual(settings);
    expect(widgetSettingsQuery(DEFAULT_WIDGET_SETTINGS)).toBe('');
  });
});
