import { assertNever } from '@tessera/shared';
import type { GuardCheck } from './guard-runner.ts';

export interface VerdictTotals {
  valid: number;
  invalid: number;
  errors: number;
  cancelled: number;
  refused: number;
}

export const NO_VERDICTS: VerdictTotals = { valid: 0, invalid: 0, errors: 0, cancelled: 0, refused: 0 };

const RECENT_CHECKS = 50;

/** A guard's checks, newest first (the last 50), and its verdicts over all of them, counted when a check ends. */
export class CheckTally {
  #recent: readonly GuardCheck[] = [];
  #totals: VerdictTotals = NO_VERDICTS;

  get recent(): readonly GuardCheck[] {
    return this.#recent;
  }

  get totals(): VerdictTotals {
    return this.#totals;
  }

  record(check: GuardCheck): void {
    this.#recent = [check, ...this.#recent.filter((other) => other.jobId !== check.jobId)].slice(0, RECENT_CHECKS);
    const totals = { ...this.#totals };
    switch (check.status) {
      case 'running':
        return;
      case 'valid':
        totals.valid++;
        break;
      case 'invalid':
        totals.invalid++;
        break;
      case 'error':
        totals.errors++;
        break;
      case 'cancelled':
        totals.cancelled++;
        break;
      case 'refused':
        totals.refused++;
        break;
      default:
        assertNever(check.status, 'check status');
    }
    this.#totals = totals;
  }
}
