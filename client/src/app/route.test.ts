import { describe, expect, it } from 'vitest';
import { NAV_LINKS, routeFor } from './route.ts';

describe('routeFor', () => {
  it('maps the served paths to pages', () => {
    expect(routeFor('/')).toBe('volunteer');
    expect(routeFor('/guard')).toBe('guard');
    expect(routeFor('/guard/')).toBe('guard');
    expect(routeFor('/playground/')).toBe('playground');
    expect(routeFor('/dashboard')).toBe('dashboard');
    expect(routeFor('/nope')).toBe('not-found');
  });
});

describe('NAV_LINKS', () => {
  it('links every page and the API docs, which the router leaves to the coordinator', () => {
    expect(NAV_LINKS.map((link) => link.label)).toEqual(['Volunteer', 'Guard', 'Playground', 'Dashboard', 'API docs']);
    for (const link of NAV_LINKS) expect(link.route === null ? null : routeFor(link.href)).toBe(link.route);
    expect(NAV_LINKS.find((link) => link.route === null)?.href).toBe('/docs');
  });
});
