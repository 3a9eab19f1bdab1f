/** Exhaustiveness guard for discriminated unions: a new variant is a compile error where it is unhandled. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}
