import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./settlement-child.ts', import.meta.url));

/**
 * The coordinator of `settlement-child.ts` as a child process (Node + tsx), for tests that kill it with
 * SIGKILL and start it again on the same data directory. Only the environment given reaches it: no
 * TESSERA_* variable of the test's own environment leaks in.
 */
export class SettlementProcess {
  readonly url: string;
  /** Everything it printed (its log lines too), for assertions and failure messages. */
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, url: string, output: string[], exited: SettlementProcess['exited']) {
    this.#child = child;
    this.url = url;
    this.output = output;
    this.exited = exited;
  }

  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<SettlementProcess> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_')));
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const output: string[] = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child.stdout?.on('data', (data: Buffer) => output.push(data.toString()));
    child.stderr?.on('data', (data: Buffer) => output.push(data.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`settlement child not ready in ${timeoutMs} ms:\n${output.join('')}`)), timeoutMs);
      const check = () => {
        const match = /settlement-child ready url=(\S+)/.exec(output.join(''));
        if (match?.[1] === undefined) return;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(match[1]);
      };
      child.stdout?.on('data', check);
      void exited.then((status) => {
        clearTimeout(timer);
        reject(new Error(`settlement child exited (${JSON.stringify(status)}) before it was ready:\n${output.join('')}`));
      });
    });
    return new SettlementProcess(child, url, output, exited);
  }

  send(command: 'close' | 'tick'): void {
    this.#child.stdin?.write(`${command}\n`);
  }

  /** Resolves with the first match of `pattern` in its output (already printed, or to come). */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.join(''));
      if (match !== null) return match;
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in ${timeoutMs} ms:\n${this.output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A clean stop: stdin closes, the app closes, the process exits. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.stdin?.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 8_000);
    await this.exited;
    clearTimeout(timer);
  }
}
