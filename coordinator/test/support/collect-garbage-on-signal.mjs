// Preloaded (`--expose-gc --import`) into a coordinator child by memory tests: SIGUSR2 runs a full garbage
// collection, so what the test reads next from /metrics is what the process still holds, not what it dropped.
process.on('SIGUSR2', () => globalThis.gc?.());
