import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatMs, formatPercent, formatRate, formatUptime } from './format.ts';

describe('format', () => {
  it('formats bytes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(612_345)).toBe('612 KB');
    expect(formatBytes(4_830_000)).toBe('4.8 MB');
    expect(formatBytes(null)).toBe('?');
  });
  it('formats durations and rates', () => {
    expect(formatMs(12.4)).toBe('12 ms');
    expect(formatMs(1530)).toBe('1.5 s');
    expect(formatMs(null)).toBe('–');
    expect(formatRate(812.3)).toBe('812 tok/s');
    expect(formatRate(7.25)).toBe('7.3 tok/s');
    expect(formatPercent(0.426)).toBe('43 %');
  });
  it('formats uptime and ages', () => {
    expect(formatUptime(59)).toBe('59 s');
    expect(formatUptime(3700)).toBe('1 h 1 min');
    expect(formatAge(0, 90_000)).toBe('1 min ago');
  });
});
