import { describe, expect, it } from 'vitest';
import { pauseReason } from './politeness.ts';

describe('pauseReason', () => {
  it('works only while the page is visible', () => {
    expect(pauseReason({ visible: true, battery: null })).toBeNull();
    expect(pauseReason({ visible: false, battery: null })).toBe('hidden');
  });

  it('leaves a low battery alone unless it charges', () => {
    expect(pauseReason({ visible: true, battery: { level: 0.19, charging: false } })).toBe('battery');
    expect(pauseReason({ visible: true, battery: { level: 0.19, charging: true } })).toBeNull();
    expect(pauseReason({ visible: true, battery: { level: 0.2, charging: false } })).toBeNull();
    expect(pauseReason({ visible: false, battery: { level: 0.1, charging: false } })).toBe('hidden');
  });
});
