// The Web-standard globals that shared/src uses and TypeScript's ES library does not declare, and only
// those. shared is compiled without the DOM and Node type libraries (shared/tsconfig.json) so that neither
// side's APIs can creep into the protocol (STYLE.md rule 2); these few exist as globals in every runtime
// shared runs in — browsers, Web Workers and Node ≥ 20 — with the signatures below (a subset of the DOM
// library's). Using another one means adding it here, after checking that all three have it.

/** WHATWG Encoding: UTF-8 only. */
interface TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare const TextEncoder: { prototype: TextEncoder; new (): TextEncoder };

interface TextDecoder {
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}
declare const TextDecoder: {
  prototype: TextDecoder;
  new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder;
};

/**
 * Web Crypto's `crypto` global: `randomUUID` (IDs, STYLE.md rule 8) and `subtle.digest` with SHA-256 (the
 * identity proof of work, identity/identity-proof.ts: one hash function both sides compute the same way).
 */
interface Crypto {
  randomUUID(): `${string}-${string}-${string}-${string}-${string}`;
  readonly subtle: { digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> };
}
declare const crypto: Crypto;

/** HTML's forgiving-base64 helpers, for Latin-1 "binary" strings. */
declare function btoa(data: string): string;
declare function atob(data: string): string;
