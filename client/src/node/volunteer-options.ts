import { TINY_BERT_ID, TINY_GPT2_ID, backendSchema, modelIdListSchema } from '@tessera/shared';
import type { Backend, WorkerRole } from '@tessera/shared';
import { z } from 'zod';
import type { IdentityMode } from '../identity/tab-identity.ts';

/** How the volunteer page runs, from its URL; every field has a default, so a bare `/` works. */
export interface VolunteerOptions {
  /** Skip the consent click: join and load the models at once (for automation and kiosks). */
  autostart: boolean;
  models: string[];
  /** null: WebGPU when a hardware (non-fallback) adapter exists, else WASM. */
  backend: Backend | null;
  role: VolunteerRole;
  /** Coordinator origin; the page's own origin unless given. */
  coordinatorOrigin: string;
  maxConcurrentTasks: number;
  /**
   * `persistent`: the key pair kept in IndexedDB (one identity per origin and browser profile);
   * `ephemeral`: a key that dies with the page, so automation can run several identities in one
   * browser context.
   */
  identity: IdentityMode;
  /** Use WebRTC links to other tabs (model files, direct streams, hand-offs); `peers=0` turns them off. */
  peers: boolean;
  /**
   * The model hub (or a mirror in its URL shape) this tab loads hub models from; null: the coordinator's
   * (`--hub-url`, told in `GET /api/v1/catalog`). Whatever it serves is checked against the catalog's hashes.
   */
  hubUrl?: string | null;
}

/** The volunteer page works or guards; `requester` is for pages that only submit (the playground). */
export type VolunteerRole = Exclude<WorkerRole, 'requester'>;
const volunteerRoleSchema = z.enum(['worker', 'guard']) satisfies z.ZodType<VolunteerRole>;

export const DEFAULT_MODELS: readonly string[] = [TINY_GPT2_ID, TINY_BERT_ID];
export const MAX_CONCURRENT_TASKS = 16;

const flagSchema = z
  .enum(['1', 'true', 'yes', '0', 'false', 'no'])
  .transform((value) => value === '1' || value === 'true' || value === 'yes');
const modelsSchema = modelIdListSchema(64);
const originSchema = z.url({ protocol: /^https?$/ }).transform((value) => new URL(value).origin);
const maxConcurrentSchema = z.coerce.number().int().min(1).max(MAX_CONCURRENT_TASKS);
const identitySchema = z.enum(['persistent', 'ephemeral']);
/** A base URL (a path prefix is kept: a mirror may live under one); http(s) only. */
const hubSchema = z.url({ protocol: /^https?$/ }).transform((value) => (value.endsWith('/') ? value.slice(0, -1) : value));

export interface ParsedVolunteerOptions {
  options: VolunteerOptions;
  /** Parameters that were present but invalid, and so fell back to their default. */
  warnings: string[];
}

/**
 * Reads the volunteer page's query parameters (documented in client/README.md). `/guard` selects the
 * guard role unless `role=` says otherwise.
 */
export function parseVolunteerOptions(search: string, pathname: string, pageOrigin: string): ParsedVolunteerOptions {
  const params = new URLSearchParams(search);
  const warnings: string[] = [];
  function read<Value>(name: string, schema: z.ZodType<Value>, fallback: Value): Value {
    const raw = params.get(name);
    if (raw === null || raw === '') return fallback;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    warnings.push(`Ignored ${name}=${raw.slice(0, 100)}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
    return fallback;
  }
  const pathRole: VolunteerRole = pathname.replace(/\/+$/, '') === '/guard' ? 'guard' : 'worker';
  return {
    options: {
      autostart: read('autostart', flagSchema, false),
      models: read('models', modelsSchema, [...DEFAULT_MODELS]),
      backend: read('backend', backendSchema.nullable(), null),
      role: read('role', volunteerRoleSchema, pathRole),
      coordinatorOrigin: read('coordinator', originSchema, pageOrigin),
      maxConcurrentTasks: read('maxConcurrent', maxConcurrentSchema, 1),
      identity: read('identity', identitySchema, 'persistent'),
      peers: read('peers', flagSchema, true),
      hubUrl: read('hub', hubSchema.nullable(), null),
    },
    warnings,
  };
}
