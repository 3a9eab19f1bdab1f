import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { startTestApp } from './support/test-app.ts';

const track = closeAfterEach();

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { content?: Record<string, unknown> }> }>>;
}

describe('the OpenAPI document at /docs/json', () => {
  it('passes Redocly’s recommended lint: 3.1, an operationId on every operation, errors documented, no wildcard path', async () => {
    const server = track(await startTestApp());
    const text = await (await fetch(`${server.url}/docs/json`)).text();
    const problems = await lintFromString({
      source: text,
      absoluteRef: 'tessera-openapi.json',
      // The project has not chosen a license yet: nothing to name in `info.license`.
      config: await createConfig({ extends: ['recommended'], rules: { 'info-license': 'off' } }),
    });
    const errors = problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? ''}`);
    const warnings = problems
      .filter((problem) => problem.severity === 'warn')
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? ''}`);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);

    const document = JSON.parse(text) as OpenApiDocument;
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(document.paths).some((path) => path.includes('{*}'))).toBe(false);
    expect(document.paths['/v1/models/{model}']).toBeDefined();
    const chat = document.paths['/v1/chat/completions']?.post;
    expect(chat?.operationId).toBe('createChatCompletion');
    expect(Object.keys(chat?.responses?.['200']?.content ?? {})).toEqual(['application/json', 'text/event-stream']);
    expect(chat?.responses?.['4XX']).toBeDefined();
    expect(chat?.responses?.['5XX']).toBeDefined();
    const stored = document.paths['/v1/responses/{response_id}'];
    expect([stored?.get?.operationId, stored?.delete?.operationId]).toEqual(['getResponse', 'deleteResponse']);
    // count_tokens answers errors in Anthropic's shape, as /v1/messages does; /api/show in Ollama's.
    const errorOf = (operation: { responses?: Record<string, { content?: Record<string, unknown> }> } | undefined) =>
      JSON.stringify(operation?.responses?.['4XX']?.content?.['application/json']);
    const countTokens = document.paths['/v1/messages/count_tokens']?.post;
    expect(countTokens?.operationId).toBe('countMessageTokens');
    expect(errorOf(countTokens)).toBe(errorOf(document.paths['/v1/messages']?.post));
    expect(errorOf(document.paths['/api/show']?.post)).toBe(errorOf(document.paths['/api/chat']?.post));
  });
});
