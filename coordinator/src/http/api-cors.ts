import fastifyCors from '@fastify/cors';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Where cross-origin calls are answered: the OpenAI routes and the native API. Pages keep their own policy. */
const API_PATHS = /^\/(v1|api)\//;

/** Headers a page may read off an API answer (the rest of what the coordinator sends stays unreadable). */
const EXPOSED_HEADERS = [
  'x-tessera-task-id',
  'x-tessera-verification',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/** `TESSERA_CORS_ORIGINS` as @fastify/cors takes it: `*`, a list of origins, or nothing. */
export function corsOriginsOf(setting: string): '*' | string[] | false {
  const trimmed = setting.trim();
  if (trimmed === '') return false;
  if (trimmed === '*') return '*';
  return trimmed.split(',').map((origin) => origin.trim());
}

/**
 * CORS on the API with `@fastify/cors`: pages of the allowed origins (any, by default) may call `/v1/*` and
 * `/api/*` and read the answers, preflights included. Never with credentials: the API keeps no cookies and
 * no session, so a page can do nothing through a visitor's browser that it could not do from its own
 * server, except spend that visitor's address's rate limit. The widget itself needs none of this (its
 * frame is on the coordinator's origin); this is for sites that call the API from their own scripts.
 */
export async function registerApiCors(app: FastifyInstance, setting: string): Promise<void> {
  const origin = corsOriginsOf(setting);
  const api: FastifyCorsOptions = {
    origin,
    credentials: false,
    methods: ['GET', 'POST', 'DELETE'],
    // Request headers are reflected: the official OpenAI client sends its own (x-stainless-*), all harmless without credentials.
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  };
  const none: FastifyCorsOptions = { origin: false };
  await app.register(fastifyCors, {
    hideOptionsRoute: true,
    delegator: (request, callback) => callback(null, API_PATHS.test(request.url) ? api : none),
  });
}
