import { afterEach } from 'vitest';

/**
 * Registers an afterEach that closes, newest first, everything `track` was given during the test, so a
 * failing assertion never leaves a server or socket open for the next test.
 */
export function closeAfterEach(): <T extends { close(): unknown }>(thing: T) => T {
  const opened: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
  });
  return (thing) => {
    opened.push(thing);
    return thing;
  };
}
