/** Anonymous callers run behind anyone with a key (keys are a later feature); lower runs first. */
export const ANONYMOUS_PRIORITY = 10;
