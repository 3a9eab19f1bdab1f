/** The places in settlement where a crash is most likely to leave the chain, the topic and the database apart. */
export type CrashPoint =
  /** `postEpoch` is mined; the coordinator has not written that down. */
  | 'after-chain-post'
  /** The HCS message has reached consensus; the coordinator has not written down its sequence number. */
  | 'after-hcs-post'
  /** The claims route learned from the chain that a claim was paid; it has not written that down. */
  | 'mid-claim';

/**
 * Test hook, not a setting: when `TESSERA_CRASH_AT` names this point, the process kills itself with SIGKILL
 * right here (no shutdown, no flush), as a power cut or the OOM killer would. The crash tests run the
 * coordinator as a child process with it and restart it on the same database. Only settlement code calls
 * this; nothing else reads the variable.
 */
export function crashPoint(point: CrashPoint, env: NodeJS.ProcessEnv = process.env): void {
  if (env.TESSERA_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
