import type { NetworkNode, RewardsView } from '@tessera/shared';
import { TOKEN_SYMBOL, formatTsra } from '../rewards/rewards-text.ts';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * How this guard's verdicts fared against other guards': the coordinator counts an outvoted verdict (or
 * one its own evidence contradicts) against the guard's key, as a failed check of its reputation.
 */
export function agreementText(own: Pick<NetworkNode, 'verdicts' | 'reputation'> | null): string {
  if (own === null) return 'not reported yet';
  const verdicts = own.verdicts.valid + own.verdicts.invalid;
  const outvoted = own.reputation.invalidChecks;
  if (outvoted > 0) return `outvoted ${plural(outvoted, 'time')} (this key, all visits)`;
  return verdicts === 0 ? 'no verdicts yet' : `never outvoted in ${plural(verdicts, 'verdict')}`;
}

/**
 * What the guard's key has earned, whatever the coordinator pays guards for: everything it holds for
 * the key, held back or not (escrowed, credited, claimable, claimed). Nothing is made up where the
 * coordinator reports nothing.
 */
export function earnedText(balances: RewardsView['balances'] | null, error: string | null): string {
  if (balances === null) return error === null ? 'not reported yet' : 'not reported by this coordinator';
  const total = BigInt(balances.escrowed) + BigInt(balances.credited) + BigInt(balances.claimable) + BigInt(balances.claimed);
  return `${formatTsra(total)} ${TOKEN_SYMBOL}`;
}
