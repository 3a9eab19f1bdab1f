import { afterAll, afterEach, beforeAll } from 'vitest';
import { startLocalEvm, type LocalEvm } from './local-evm.ts';

/**
 * One local EVM node for a whole test file (starting Hardhat's node takes seconds), and per-test cleanups
 * run after each test, last registered first.
 */
export function localEvmPerFile(): { evm(): LocalEvm; cleanups: Array<() => unknown> } {
  let evm: LocalEvm | undefined;
  const cleanups: Array<() => unknown> = [];
  beforeAll(async () => {
    evm = await startLocalEvm();
  }, 180_000);
  afterAll(async () => {
    await evm?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    evm: () => {
      if (evm === undefined) throw new Error('the local EVM is not started yet');
      return evm;
    },
    cleanups,
  };
}
