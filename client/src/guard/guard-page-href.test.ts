import { describe, expect, it } from 'vitest';
import { guardPageHref } from './guard-page-href.ts';

describe('guardPageHref', () => {
  it("keeps the page's query but its role", () => {
    expect(guardPageHref('')).toBe('/guard');
    expect(guardPageHref('?role=worker')).toBe('/guard');
    expect(guardPageHref('?autostart=1&role=worker&models=a%2Fb')).toBe('/guard?autostart=1&models=a%2Fb');
  });
});
