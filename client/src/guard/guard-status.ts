import type { NetworkNode } from '@tessera/shared';
import type { ConnectionState } from '../node/coordinator-connection.ts';
import type { RuntimeState } from '../node/volunteer-node-events.ts';
import type { VolunteerRole } from '../node/volunteer-options.ts';

/** Why a guard tab has (or has no) checks to make; `data-reason` of `guard-status`. */
export type GuardStatusReason =
  | 'not-a-guard'
  | 'no-key'
  | 'not-started'
  | 'loading'
  | 'error'
  | 'connecting'
  | 'not-allowed'
  | 'no-workers'
  | 'own-results'
  | 'waiting-for-sample'
  | 'checking'
  | 'checked';

export interface GuardStatus {
  reason: GuardStatusReason;
  tone: 'plain' | 'info' | 'ok' | 'warn' | 'bad';
  text: string;
}

export interface GuardStatusInput {
  role: VolunteerRole;
  identityError: string | null;
  runtimeState: RuntimeState;
  consented: boolean;
  connectionState: ConnectionState;
  /** Models this guard has in memory, so can check. */
  loadedModels: readonly string[];
  checksRunning: number;
  checksDone: number;
  /** This tab's row of `GET /api/v1/network`; null until the coordinator lists it. */
  own: NetworkNode | null;
  /** Every tab the coordinator lists; null before the first read since joining. */
  nodes: readonly NetworkNode[] | null;
}

/** Tiers the coordinator gives no checks to (`mayCheck`: their placement rank is Infinity). */
const BARRED_TIERS: ReadonlySet<string> = new Set(['demoted', 'banned']);

function servesAny(node: NetworkNode, models: readonly string[]): boolean {
  return node.models.some((model) => model.state === 'loaded' && models.includes(model.id));
}

/**
 * The guard page's one-line answer to "is this tab checking, and if not, why not". The coordinator does
 * not say why it sends no check, so the line is worked out from what the page sees: the tab's own state,
 * its standing, and the workers the network lists. It names the cases a guard can wait in forever: no
 * worker serves its models, the only ones that do sign with its own key (a key never checks itself), or
 * its key is barred from checking.
 */
export function guardStatus(input: GuardStatusInput): GuardStatus {
  if (input.role !== 'guard')
    return { reason: 'not-a-guard', tone: 'warn', text: 'This tab lends as a worker; checking needs a guard tab of its own.' };
  if (input.identityError !== null)
    return { reason: 'no-key', tone: 'bad', text: 'This browser cannot sign verdicts, so it cannot check anything.' };
  if (input.runtimeState === 'error')
    return { reason: 'error', tone: 'bad', text: 'Not checking: the guard could not start (see the log below).' };
  if (!input.consented) return { reason: 'not-started', tone: 'plain', text: 'Not checking yet: press "Start checking others\' work".' };
  if (input.connectionState !== 'connected')
    return { reason: 'connecting', tone: 'warn', text: 'Connecting to the coordinator; checks arrive once it is connected.' };
  if (input.loadedModels.length === 0) return { reason: 'loading', tone: 'info', text: 'Loading the models to check with…' };
  if (input.checksRunning > 0)
    return { reason: 'checking', tone: 'ok', text: `Checking ${input.checksRunning} result${input.checksRunning === 1 ? '' : 's'} now.` };
  const tier = input.own?.reputation.tier;
  if (tier !== undefined && BARRED_TIERS.has(tier))
    return {
      reason: 'not-allowed',
      tone: 'bad',
      text: `No checks: this guard's key is ${tier}, and the coordinator gives checks only to guards in good standing.`,
    };
  if (input.nodes !== null) {
    const ownKey = input.own?.keyFingerprint;
    const workers = input.nodes.filter((node) => node.role === 'worker' && servesAny(node, input.loadedModels));
    const others = workers.filter((node) => node.keyFingerprint !== ownKey);
    if (workers.length > 0 && others.length === 0)
      return {
        reason: 'own-results',
        tone: 'warn',
        text: "No checks: the only workers serving these models sign with this guard's own key, and a key never checks its own results.",
      };
    if (others.length === 0)
      return {
        reason: 'no-workers',
        tone: 'warn',
        text: `No checks: no worker serves ${input.loadedModels.join(', ')} right now, so there is nothing to check.`,
      };
  }
  if (input.checksDone > 0)
    return { reason: 'checked', tone: 'ok', text: 'Ready: waiting for the next result the coordinator picks for checking.' };
  return {
    reason: 'waiting-for-sample',
    tone: 'info',
    text: "Waiting: the coordinator checks a sample of workers' results (every one of a new worker's), and none has come in yet.",
  };
}
