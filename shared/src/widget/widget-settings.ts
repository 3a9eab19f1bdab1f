import { z } from 'zod';
import { modelIdListSchema } from '../model-id-list.ts';

/** What the widget does for the visitor: lend the browser, chat with the network, or both. */
export const widgetModeSchema = z.enum(['contribute', 'chat', 'both']);
export type WidgetMode = z.infer<typeof widgetModeSchema>;

export const widgetThemeSchema = z.enum(['light', 'dark', 'auto']);
export type WidgetTheme = z.infer<typeof widgetThemeSchema>;

export const widgetPositionSchema = z.enum(['inline', 'bottom-right']);
export type WidgetPosition = z.infer<typeof widgetPositionSchema>;

/** Languages the widget's own words exist in; any other `lang` falls back to English. */
export const WIDGET_LANGUAGES = ['en', 'fr'] as const;
export type WidgetLanguage = (typeof WIDGET_LANGUAGES)[number];

/** A site's public key, as `POST /api/v1/sites` answers it: `site_` and 16 random bytes in base64url. */
export const siteKeySchema = z.string().regex(/^site_[A-Za-z0-9_-]{22}$/, 'a site key: site_ and 22 base64url characters');
export type SiteKey = z.infer<typeof siteKeySchema>;

/** The share of one core a contributing visitor lends when the site says nothing. */
export const DEFAULT_WIDGET_MAX_CPU = 0.5;

/**
 * The widget's settings, from the `<tessera-widget>` attributes (the element) and from the frame's query
 * string (the frame, which re-parses them: the host wrote both). Every field has a default.
 */
export interface WidgetSettings {
  mode: WidgetMode;
  /** Catalog ids a contributing visitor loads; empty: the volunteer page's defaults. */
  models: string[];
  /** The chat model; null: the first chat model among `models`, else the catalog's first. */
  model: string | null;
  siteKey: SiteKey | null;
  theme: WidgetTheme;
  position: WidgetPosition;
  /** Share of one core lent while working, 0.05–1. */
  maxCpu: number;
  lang: WidgetLanguage;
  /** WebRTC links to other tabs (model files, direct streams); `peers="off"` turns them off. */
  peers: boolean;
}

/** The attribute names, as a site writes them (kebab-case), and the frame's query parameters. */
export const WIDGET_ATTRIBUTES = ['mode', 'models', 'model', 'site-key', 'theme', 'position', 'max-cpu', 'lang', 'peers'] as const;
export type WidgetAttribute = (typeof WIDGET_ATTRIBUTES)[number];

const modelIdSchema = z.string().trim().min(1).max(200);
const modelsSchema = modelIdListSchema(16);
const maxCpuSchema = z.coerce.number().min(0.05).max(1);
const langSchema = z
  .string()
  .max(35)
  .transform((value) => value.toLowerCase().split('-')[0] ?? '')
  .pipe(z.enum(WIDGET_LANGUAGES));
const peersSchema = z.enum(['on', 'off']).transform((value) => value === 'on');

export const DEFAULT_WIDGET_SETTINGS: WidgetSettings = {
  mode: 'contribute',
  models: [],
  model: null,
  siteKey: null,
  theme: 'auto',
  position: 'inline',
  maxCpu: DEFAULT_WIDGET_MAX_CPU,
  lang: 'en',
  peers: true,
};

export interface ParsedWidgetSettings {
  settings: WidgetSettings;
  /** Attributes that were present but invalid, and so fell back to their default. */
  warnings: string[];
}

/**
 * Reads the widget's settings from its attributes (or the frame's query parameters of the same names).
 * An invalid value falls back to its default with a warning, as the volunteer page's parameters do.
 */
export function parseWidgetSettings(read: (name: WidgetAttribute) => string | null): ParsedWidgetSettings {
  const warnings: string[] = [];
  function field<Value>(name: WidgetAttribute, schema: z.ZodType<Value>, fallback: Value): Value {
    const raw = read(name);
    if (raw === null || raw === '') return fallback;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    warnings.push(`Ignored ${name}="${raw.slice(0, 100)}": ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
    return fallback;
  }
  const defaults = DEFAULT_WIDGET_SETTINGS;
  return {
    settings: {
      mode: field('mode', widgetModeSchema, defaults.mode),
      models: field('models', modelsSchema, defaults.models),
      model: field('model', modelIdSchema, defaults.model),
      siteKey: field('site-key', siteKeySchema, defaults.siteKey),
      theme: field('theme', widgetThemeSchema, defaults.theme),
      position: field('position', widgetPositionSchema, defaults.position),
      maxCpu: field('max-cpu', maxCpuSchema, defaults.maxCpu),
      lang: field('lang', langSchema, defaults.lang),
      peers: field('peers', peersSchema, defaults.peers),
    },
    warnings,
  };
}

/** The frame's query string for these settings: only what differs from the defaults. */
export function widgetSettingsQuery(settings: WidgetSettings): string {
  const params: Array<[string, string]> = [];
  const defaults = DEFAULT_WIDGET_SETTINGS;
  if (settings.mode !== defaults.mode) params.push(['mode', settings.mode]);
  if (settings.models.length > 0) params.push(['models', settings.models.join(',')]);
  if (settings.model !== null) params.push(['model', settings.model]);
  if (settings.siteKey !== null) params.push(['site-key', settings.siteKey]);
  if (settings.theme !== defaults.theme) params.push(['theme', settings.theme]);
  if (settings.position !== defaults.position) params.push(['position', settings.position]);
  if (settings.maxCpu !== defaults.maxCpu) params.push(['max-cpu', String(settings.maxCpu)]);
  if (settings.lang !== defaults.lang) params.push(['lang', settings.lang]);
  if (!settings.peers) params.push(['peers', 'off']);
  return params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
}
