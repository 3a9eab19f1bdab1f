/**
 * Response header saying how far an answer was verified (`passed`, `unchecked`, `unverified`: see
 * `resultVerificationSchema`), for clients that read headers; the body says the same in `tessera.verification`.
 */
export const VERIFICATION_HEADER = 'x-tessera-verification';
