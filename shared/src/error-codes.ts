import { z } from 'zod';
import { PEER_ERROR_CODES } from './peer/peer-errors.ts';

/**
 * Every error the system reports, in one registry. `status` is the HTTP status the API answers with,
 * `type` the OpenAI error type, `retryable` whether the same request may succeed later unchanged.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, type: 'invalid_request_error', retryable: false, summary: 'The request body is not valid JSON.' },
  invalid_request: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'A field is missing, has the wrong type or is out of range.',
  },
  unsupported_parameter: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The parameter is valid OpenAI but not supported by Tessera.',
  },
  body_too_large: {
    status: 413,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The request body is larger than the configured limit.',
  },
  unsupported_media_type: {
    status: 415,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The request body must be application/json.',
  },
  model_not_found: { status: 404, type: 'invalid_request_error', retryable: false, summary: 'No model with this id is in the catalog.' },
  model_kind_mismatch: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The model exists but does not serve this endpoint.',
  },
  task_not_found: { status: 404, type: 'invalid_request_error', retryable: false, summary: 'No task with this id exists.' },
  response_not_found: {
    status: 404,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'No stored response has this id: never made here, or made with `store: false`.',
  },
  route_not_found: { status: 404, type: 'invalid_request_error', retryable: false, summary: 'No such route.' },
  rate_limited: { status: 429, type: 'rate_limit_error', retryable: true, summary: 'Too many requests; wait and retry.' },
  invalid_api_key: { status: 401, type: 'invalid_request_error', retryable: false, summary: 'The API key is missing, unknown or revoked.' },
  insufficient_quota: { status: 429, type: 'insufficient_quota', retryable: false, summary: 'The API key used up its token quota.' },
  invalid_admin_token: { status: 401, type: 'invalid_request_error', retryable: false, summary: 'The admin token is missing or wrong.' },
  api_key_not_found: { status: 404, type: 'invalid_request_error', retryable: false, summary: 'No API key has this id.' },
  queue_full: { status: 503, type: 'server_error', retryable: true, summary: 'The task queue is full.' },
  client_queue_full: {
    status: 429,
    type: 'rate_limit_error',
    retryable: true,
    summary: 'This client already has as much task input open as one client may; wait for some of its tasks to finish.',
  },
  no_capacity: {
    status: 503,
    type: 'server_error',
    retryable: true,
    summary: 'No tab could serve the model now, or none took the task before the queue timeout.',
  },
  attempts_exhausted: { status: 502, type: 'server_error', retryable: true, summary: 'Every attempt to run the task on a tab failed.' },
  task_not_owned: {
    status: 403,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'Only the submitter may cancel a task: send the cancel_token its submission returned in x-tessera-cancel-token.',
  },
  task_already_finished: {
    status: 409,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The task already finished and cannot be cancelled.',
  },
  task_cancelled: { status: 409, type: 'invalid_request_error', retryable: false, summary: 'The task was cancelled.' },
  task_failed: { status: 500, type: 'server_error', retryable: true, summary: 'The worker reported an error running the task.' },
  internal_error: { status: 500, type: 'server_error', retryable: true, summary: 'An unexpected error in the coordinator.' },
  // Errors a tab or the coordinator report over the socket.
  protocol_violation: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'A socket payload did not match its schema.',
  },
  protocol_version_unsupported: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The tab speaks a protocol version the coordinator does not.',
  },
  signature_invalid: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: "A signed message did not verify against the tab's key.",
  },
  identity_proof_invalid: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'worker:hello carries no identity proof, or one with fewer leading zero bits than GET /api/v1/admission asks for this key.',
  },
  admission_refused: {
    status: 429,
    type: 'rate_limit_error',
    retryable: true,
    summary: 'Too many tabs, or too many new identities, from this address or its network; the message says which limit and when to retry.',
  },
  not_assigned: {
    status: 409,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The tab sent a message about a task it does not hold.',
  },
  model_load_failed: { status: 500, type: 'server_error', retryable: true, summary: 'The tab could not load the model.' },
  inference_failed: { status: 500, type: 'server_error', retryable: true, summary: 'The engine failed while running the task.' },
  lease_expired: { status: 504, type: 'server_error', retryable: true, summary: 'The tab did not finish within its lease.' },
  handoff_refused: {
    status: 409,
    type: 'invalid_request_error',
    retryable: true,
    summary:
      'The coordinator did not move the task to that peer (not idle, not introduced, or the task moved on); it stays with the sender.',
  },
  direct_stream_refused: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'direct_stream names no connected tab with that key.',
  },
  webhook_url_refused: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary:
      'webhook_url needs an API key with a webhook secret, and an address on the public internet unless the operator allows private ones.',
  },
  too_many_subscriptions: {
    status: 429,
    type: 'rate_limit_error',
    retryable: true,
    summary: 'This connection or API key holds as many task subscriptions as it may; unsubscribe from some first.',
  },
  worker_disconnected: { status: 502, type: 'server_error', retryable: true, summary: 'The tab left while running the task.' },
  result_refused: {
    status: 409,
    type: 'invalid_request_error',
    retryable: false,
    summary: "The tab's result does not hold up to the coordinator's own count (tokens, text, finish reason); it counts as a wrong result.",
  },
  model_unavailable: {
    status: 503,
    type: 'server_error',
    retryable: true,
    summary: "The coordinator cannot count this model's work (its tokenizer did not load), so it does not serve it.",
  },
  // Wallet link (coordinator/src/wallet/README.md).
  wallet_linking_unavailable: {
    status: 503,
    type: 'server_error',
    retryable: false,
    summary: 'Wallet linking is not configured on this coordinator.',
  },
  challenge_not_found: { status: 404, type: 'invalid_request_error', retryable: false, summary: 'No open wallet challenge has this id.' },
  challenge_expired: {
    status: 410,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The wallet challenge expired; ask for a new one.',
  },
  challenge_used: {
    status: 409,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The wallet challenge was already used; ask for a new one.',
  },
  wallet_signature_invalid: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: "The wallet signature does not verify with the account's key.",
  },
  wallet_key_mismatch: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: "The wallet signed with a key that is not the account's key.",
  },
  wallet_key_unsupported: {
    status: 400,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The account has no single ED25519 or ECDSA key to sign with.',
  },
  account_not_found: {
    status: 404,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'The mirror node knows no such Hedera account.',
  },
  mirror_node_unavailable: {
    status: 503,
    type: 'server_error',
    retryable: true,
    summary: 'The Hedera mirror node could not be reached or failed.',
  },
  wallet_link_not_found: {
    status: 404,
    type: 'invalid_request_error',
    retryable: false,
    summary: 'No Hedera account is linked to this tab key.',
  },
  // The embeddable widget and its sites (client/src/widget/README.md).
  site_not_found: { status: 404, type: 'invalid_request_error', retryable: false, summary: 'No site is registered with this site key.' },
  consent_required: {
    status: 403,
    type: 'invalid_request_error',
    retryable: false,
    summary: "The visitor has not agreed in the widget's consent button (or declined); nothing ran.",
  },
  // Peer to peer (client/src/peer/README.md).
  ...PEER_ERROR_CODES,
} as const satisfies Record<string, { status: number; type: string; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** The shape an error takes on any wire (socket, peer, postMessage): plain data, never a stringified Error. */
export const wireErrorSchema = z.strictObject({
  code: errorCodeSchema,
  message: z.string().max(2000),
  retryable: z.boolean(),
});
export type WireError = z.infer<typeof wireErrorSchema>;

/** An error that carries a registry code; thrown inside either side and mapped at the edge. */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;
  constructor(code: ErrorCode, message: string = ERROR_CODES[code].summary, param: string | null = null) {
    super(message);
    this.name = 'TesseraError';
    this.code = code;
    this.param = param;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
  toWire(): WireError {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

export function wireError(code: ErrorCode, message: string = ERROR_CODES[code].summary): WireError {
  return { code, message, retryable: ERROR_CODES[code].retryable };
}
