/**
 * Error codes of the peer-to-peer layer: signalling refusals from the coordinator, data-channel failures
 * and model-seeding failures. Same shape as `ERROR_CODES` (error-codes.ts), which spreads this table into
 * the one registry so every code is documented in coordinator/README.md. This file imports nothing so the
 * registry can import it without a cycle.
 */
export const PEER_ERROR_CODES = {
  peer_not_introduced: {
    status: 403,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The coordinator did not introduce these two tabs; they may not signal each other.',
  },
  peer_unavailable: {
    status: 404,
    type: 'invalid_request_error',
    retryable: true,
    summary: 'The peer tab is not connected to the coordinator.',
  },
  peer_frame_invalid: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'A data-channel frame did not match the peer frame format; the link was closed.',
  },
  peer_connection_failed: {
    status: 502,
    type: 'server_error',
    retryable: true,
    summary: 'The WebRTC connection to the peer could not be opened or failed.',
  },
  peer_closed: { status: 502, type: 'server_error', retryable: true, summary: 'The peer link closed before the operation finished.' },
  peer_file_unavailable: {
    status: 404,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The seeder does not have this model file or byte range.',
  },
  peer_busy: { status: 503, type: 'server_error', retryable: true, summary: 'The seeder is serving too many requests; ask another one.' },
  peer_read_failed: { status: 500, type: 'server_error', retryable: true, summary: 'The seeder could not read the file from its cache.' },
  peer_timeout: { status: 504, type: 'server_error', retryable: true, summary: 'The peer did not answer in time.' },
  peer_hash_mismatch: {
    status: 502,
    type: 'server_error',
    retryable: true,
    summary: "Bytes did not match the catalog's sha256 for the file.",
  },
} as const satisfies Record<string, { status: number; type: string; retryable: boolean; summary: string }>;

export type PeerErrorCode = keyof typeof PEER_ERROR_CODES;

export const PEER_ERROR_CODE_LIST = Object.keys(PEER_ERROR_CODES) as [PeerErrorCode, ...PeerErrorCode[]];

/** An error of the peer layer; `toWire()` gives the `{code, message, retryable}` shape errors cross wires in. */
export class PeerError extends Error {
  readonly code: PeerErrorCode;
  constructor(code: PeerErrorCode, message: string = PEER_ERROR_CODES[code].summary) {
    super(message);
    this.name = 'PeerError';
    this.code = code;
  }
  get retryable(): boolean {
    return PEER_ERROR_CODES[this.code].retryable;
  }
  toWire(): { code: PeerErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}
