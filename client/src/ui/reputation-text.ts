import {
  BANNED_AFTER_INVALID_CHECKS,
  DEFAULT_REPLICATION_POLICY,
  TIER_REWARD_MULTIPLIER,
  VETERAN_AFTER_VALID_CHECKS,
} from '@tessera/shared';
import type { NetworkNode, NetworkSnapshot, Tier } from '@tessera/shared';

const probation = DEFAULT_REPLICATION_POLICY.probationChecks;

/** What each tier means for the volunteer, in one sentence, from the shared reputation rules. */
export const TIER_EXPLANATIONS: Record<Tier, string> = {
  probation: `New here: guards check every result until ${probation} checks in a row pass.`,
  trusted: 'Passed probation: results are spot-checked, less often the longer the clean streak.',
  veteran: `Over ${VETERAN_AFTER_VALID_CHECKS} valid checks and never caught: served first, rewards ×${TIER_REWARD_MULTIPLIER.veteran}.`,
  demoted: `A guard caught a wrong result: served last, rewards ×${TIER_REWARD_MULTIPLIER.demoted}, until ${probation * 2} checks in a row pass.`,
  banned: `Caught ${BANNED_AFTER_INVALID_CHECKS} times: this key gets no more work.`,
};

/** Badge tone per tier, from the shared stylesheet's badge classes. */
export const TIER_TONES: Record<Tier, 'ok' | 'info' | 'warn' | 'bad'> = {
  veteran: 'ok',
  trusted: 'ok',
  probation: 'info',
  demoted: 'warn',
  banned: 'bad',
};

/** This tab's row in the network snapshot: the node with the id `worker:welcome` gave this connection. */
export function findNode(snapshot: NetworkSnapshot, nodeId: string): NetworkNode | null {
  return snapshot.nodes.find((node) => node.nodeId === nodeId) ?? null;
}

/**
 * Accuracy as the checks behind it: the coordinator's `accuracy` starts at a prior of 0.5, so a
 * percentage before any check would report a score nobody earned.
 */
export function checksText(reputation: Pick<NetworkNode['reputation'], 'validChecks' | 'invalidChecks'>): string {
  const total = reputation.validChecks + reputation.invalidChecks;
  if (total === 0) return 'no checks yet';
  return `${reputation.validChecks} of ${total} ${total === 1 ? 'check' : 'checks'} passed`;
}
