import { describe, expect, it } from 'vitest';
import { CoAppearanceWatch } from './co-appearance-watch.ts';

function watchAt(start = 1_000_000): { watch: CoAppearanceWatch; advance: (ms: number) => void } {
  let now = start;
  const watch = new CoAppearanceWatch({ now: () => now });
  return { watch, advance: (ms) => (now += ms) };
}

describe('CoAppearanceWatch', () => {
  it('links two keys after three arrivals or departures together, in either order', () => {
    const { watch, advance } = watchAt();
    watch.sighted('joined', 'liar');
    advance(500);
    watch.sighted('joined', 'guard');
    expect(watch.linked('liar', 'guard')).toBe(false);
    advance(60_000);
    watch.sighted('left', 'guard');
    advance(1_000);
    watch.sighted('left', 'liar');
    expect(watch.linked('guard', 'liar')).toBe(false);
    advance(60_000);
    watch.sighted('joined', 'guard');
    advance(1_900);
    watch.sighted('joined', 'liar');
    expect(watch.linked('liar', 'guard')).toBe(true);
    expect(watch.linked('guard', 'liar')).toBe(true);
  });

  it('does not link keys that come and go further apart than the window', () => {
    const { watch, advance } = watchAt();
    for (let round = 0; round < 5; round++) {
      watch.sighted('joined', 'a');
      advance(2_500);
      watch.sighted('joined', 'b');
      advance(60_000);
    }
    expect(watch.linked('a', 'b')).toBe(false);
  });

  it('counts nothing in a crowd: every tab reconnecting after a restart ties no one', () => {
    const { watch, advance } = watchAt();
    for (let round = 0; round < 4; round++) {
      for (let tab = 0; tab < 20; tab++) watch.sighted('joined', `tab-${tab}`);
      advance(60_000);
    }
    // The first arrivals of each burst still meet before the window fills; later ones are never paired.
    expect(watch.linked('tab-18', 'tab-19')).toBe(false);
    expect(watch.linked('tab-0', 'tab-19')).toBe(false);
  });

  it('forgets appearances older than the horizon', () => {
    const { watch, advance } = watchAt();
    for (let round = 0; round < 2; round++) {
      watch.sighted('joined', 'a');
      watch.sighted('joined', 'b');
      advance(60_000);
    }
    advance(25 * 3_600_000);
    watch.sighted('joined', 'a');
    watch.sighted('joined', 'b');
    expect(watch.linked('a', 'b')).toBe(false);
  });

  it('keeps at most maxPairs pairs, forgetting the least recently seen', () => {
    let now = 0;
    const watch = new CoAppearanceWatch({ now: () => now, policy: { maxPairs: 10, linkAfter: 1 } });
    for (let pair = 0; pair < 50; pair++) {
      watch.sighted('joined', `x-${pair}`);
      watch.sighted('joined', `y-${pair}`);
      now += 10_000;
    }
    expect(watch.pairs).toBe(10);
    expect(watch.linked('x-49', 'y-49')).toBe(true);
    expect(watch.linked('x-0', 'y-0')).toBe(false);
  });
});
