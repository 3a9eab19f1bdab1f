import { TINY_BERT_ID, TINY_GPT2_ID } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { parseVolunteerOptions } from './volunteer-options.ts';

const origin = 'http://127.0.0.1:8787';

describe('parseVolunteerOptions', () => {
  it('defaults to consent first, the two tiny models, automatic backend, worker role, same origin', () => {
    expect(parseVolunteerOptions('', '/', origin)).toEqual({
      options: {
        autostart: false,
        models: [TINY_GPT2_ID, TINY_BERT_ID],
        backend: null,
        role: 'worker',
        coordinatorOrigin: origin,
        maxConcurrentTasks: 1,
        identity: 'persistent',
        peers: true,
        hubUrl: null,
      },
      warnings: [],
    });
  });

  it('reads every documented parameter', () => {
    const { options, warnings } = parseVolunteerOptions(
      '?autostart=1&models=a/b,%20c/d&backend=wasm&role=guard&coordinator=http://10.0.0.2:9000/x&maxConcurrent=3&identity=ephemeral&peers=0&hub=http://10.0.0.3:8080/mirror/',
      '/',
      origin,
    );
    expect(warnings).toEqual([]);
    expect(options).toEqual({
      autostart: true,
      models: ['a/b', 'c/d'],
      backend: 'wasm',
      role: 'guard',
      coordinatorOrigin: 'http://10.0.0.2:9000',
      maxConcurrentTasks: 3,
      identity: 'ephemeral',
      peers: false,
      hubUrl: 'http://10.0.0.3:8080/mirror',
    });
  });

  it('takes the guard role from /guard unless role= says otherwise', () => {
    expect(parseVolunteerOptions('', '/guard', origin).options.role).toBe('guard');
    expect(parseVolunteerOptions('', '/guard/', origin).options.role).toBe('guard');
    expect(parseVolunteerOptions('?role=worker', '/guard', origin).options.role).toBe('worker');
    // A volunteer page never joins as a requester: that role runs nothing.
    const requester = parseVolunteerOptions('?role=requester', '/', origin);
    expect(requester.options.role).toBe('worker');
    expect(requester.warnings).toHaveLength(1);
  });

  it('falls back to defaults for invalid values and says so', () => {
    const { options, warnings } = parseVolunteerOptions(
      '?backend=cuda&maxConcurrent=0&coordinator=javascript:alert(1)&autostart=maybe&models=,&identity=shared&hub=file:///etc',
      '/',
      origin,
    );
    expect(options.backend).toBeNull();
    expect(options.maxConcurrentTasks).toBe(1);
    expect(options.coordinatorOrigin).toBe(origin);
    expect(options.autostart).toBe(false);
    expect(options.models).toEqual([TINY_GPT2_ID, TINY_BERT_ID]);
    expect(options.identity).toBe('persistent');
    expect(options.hubUrl).toBeNull();
    expect(warnings).toHaveLength(7);
  });
});
