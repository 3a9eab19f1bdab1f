import type { CoordinatorConfig } from '@tessera/coordinator';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../coordinator/src/server.ts', import.meta.url));

export interface CoordinatorProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything it logged, for a failing test's message. */
  log(): string;
  /** Sends `signal` and resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function flagsFor(overrides: Partial<Record<keyof CoordinatorConfig, string | number>>): string[] {
  return Object.entries(overrides).flatMap(([key, value]) => [
    `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`,
    String(value),
  ]);
}

/**
 * A coordinator as an operator runs it: `npm run serve` with flags and environment, in a process of its
 * own, so a test can kill it (SIGKILL) the way a machine dies.
 */
export async function startCoordinatorProcess(
  overrides: Partial<Record<keyof CoordinatorConfig, string | number>>,
  env: Record<string, string> = {},
): Promise<CoordinatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, ...flagsFor(overrides)], {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const hear = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Tessera coordinator on (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    };
    child.stdout?.on('data', hear);
    child.stderr?.on('data', hear);
    child.once('exit', (code) => reject(new Error(`the coordinator exited (${code}) before listening:\n${output.slice(-4000)}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    log: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
