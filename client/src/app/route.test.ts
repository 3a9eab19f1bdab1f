import { describe, expect, it } from 'vitest';
import { routeFor } from './route.ts';

describe('routeFor', () => {
  it('maps the served paths to pages', () => {
    expect(routeFor('/')).toBe('volunteer');
    expect(routeFor('/guard')).toBe('volunteer');
    expect(routeFor('/playground/')).toBe('playground');
    expect(routeFor('/dashboard')).toBe('dashboard');
    expect(routeFor('/nope')).toBe('not-found');
  });
});
