import { Worker } from 'node:worker_threads';
import { z } from 'zod';

/**
 * The pacing thread: sleeps with `Atomics.wait` (µs-precise, unlike the event loop's millisecond timers)
 * until each send is due and posts the indexes that are due. Plain CommonJS so it needs no TypeScript
 * loader. The main thread hears about a send the way it hears about a network packet, so a busy or
 * stalled event loop delays the send and that delay is counted (no coordinated omission).
 */
const PACER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { startNs, intervalNs, total } = workerData;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let next = 0;
while (next < total) {
  const dueNs = startNs + BigInt(Math.round(next * intervalNs));
  const waitNs = dueNs - process.hrtime.bigint();
  if (waitNs > 0n) Atomics.wait(sleeper, 0, 0, Number(waitNs) / 1e6);
  const nowNs = process.hrtime.bigint();
  const from = next;
  while (next < total && startNs + BigInt(Math.round(next * intervalNs)) <= nowNs) next++;
  if (next > from) parentPort.postMessage({ from, to: next });
}
`;

const dueSchema = z.object({ from: z.number().int().min(0), to: z.number().int().min(0) });

export interface PacedSchedule {
  /** `process.hrtime.bigint()` of send number 0. */
  readonly startNs: bigint;
  readonly intervalNs: number;
  readonly total: number;
  /** When send `index` was meant to happen. */
  intendedNs(index: number): bigint;
  /** Resolves once every send was handed to `onDue`. */
  readonly finished: Promise<void>;
}

/**
 * Calls `onDue(index)` for sends 0…total−1 spaced `1 / ratePerSecond` apart, starting `delayMs` from now.
 *
 * @example
 * const schedule = startPacer(1000, 10_000, (i) => send(i, schedule.intendedNs(i)));
 * await schedule.finished;
 */
export function startPacer(ratePerSecond: number, durationMs: number, onDue: (index: number) => void, delayMs = 20): PacedSchedule {
  const intervalNs = 1e9 / ratePerSecond;
  const total = Math.max(1, Math.floor((ratePerSecond * durationMs) / 1000));
  const startNs = process.hrtime.bigint() + BigInt(Math.round(delayMs * 1e6));
  const worker = new Worker(PACER_SOURCE, { eval: true, workerData: { startNs, intervalNs, total } });
  const finished = new Promise<void>((resolve, reject) => {
    let handed = 0;
    worker.on('message', (raw: unknown) => {
      const due = dueSchema.parse(raw);
      for (let index = due.from; index < due.to; index++) onDue(index);
      handed = due.to;
      if (handed >= total) resolve();
    });
    worker.on('error', reject);
    // Messages posted just before exit may still be in flight; give them a turn before calling it short.
    worker.on('exit', () =>
      setTimeout(() => (handed >= total ? resolve() : reject(new Error(`pacer stopped after ${handed} of ${total} sends`))), 50),
    );
  });
  return {
    startNs,
    intervalNs,
    total,
    intendedNs: (index) => startNs + BigInt(Math.round(index * intervalNs)),
    finished,
  };
}
