import type { Tier } from '@tessera/shared';

/** How much more often a guard of each standing is drawn: proven guards check more, barred ones never. */
export const GUARD_WEIGHT: Record<Tier, number> = { veteran: 4, trusted: 2, probation: 1, demoted: 0.25, banned: 0 };

/** One of `items` drawn at random with probability proportional to `weight`; undefined when none weighs anything. */
export function pickWeighted<Item>(items: readonly Item[], weight: (item: Item) => number, random: () => number): Item | undefined {
  const weights = items.map(weight);
  const total = weights.reduce((sum, value) => sum + value, 0);
  if (total <= 0) return undefined;
  let point = random() * total;
  for (let i = 0; i < items.length; i++) {
    point -= weights[i] ?? 0;
    if (point < 0) return items[i];
  }
  return items.at(-1);
}
