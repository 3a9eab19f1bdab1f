/** How a checked result ended: confirmed, caught, or not checkable (no guard, guards timed out). */
export type CheckOutcome = { verdict: 'valid' | 'invalid' | 'unverified'; reason: string };
