import { z } from 'zod';
import { taskIdSchema } from '../ids.ts';
import { PEER_ERROR_CODE_LIST } from './peer-errors.ts';

/**
 * Frames two tabs exchange on a WebRTC data channel. Every frame is one binary data-channel message:
 *
 * ```
 * byte 0      version (1)
 * byte 1      kind: 1 file:request · 2 file:chunk · 3 file:error · 4 task:stream · 5 task:stream-end
 *             · 6 peer:status
 * bytes 2–3   header length H, unsigned big-endian, 2 ≤ H ≤ 1024
 * bytes 4…    H bytes of UTF-8 JSON: the frame's fields, checked by the kind's schema
 * then        payload bytes: file:chunk (≤ 30 KiB of file) and task:stream (≤ 16 KiB of UTF-8 text)
 *             only; any other kind must have none
 * ```
 *
 * A whole frame is at most 32 KiB (messages larger than that are not portable across browsers).
 */
export const PEER_FRAME_VERSION = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
export const MAX_FRAME_BYTES = 32 * 1024;
export const FRAME_PREFIX_BYTES = 4;
export const MAX_FRAME_HEADER_BYTES = 1024;
/** Most payload bytes in one `file:chunk`: 32 KiB less room for the prefix and the largest header. */
export const FILE_CHUNK_MAX_BYTES = 30 * 1024;
/** Most bytes one `file:request` may ask for; the seeder answers in ⌈length / FILE_CHUNK_MAX_BYTES⌉ chunks. */
export const FILE_REQUEST_MAX_BYTES = 1024 * 1024;

/** Chosen by the requester, unique among its open requests on one link. */
export const peerRequestIdSchema = z.number().int().min(0).max(0xffff_ffff);

const modelIdSchema = z.string().min(1).max(200);
/** A path inside a model's file list (`onnx/model.onnx`); the seeder checks it against the catalog. */
const modelPathSchema = z.string().min(1).max(500);

export const fileRequestFrameSchema = z.strictObject({
  type: z.literal('file:request'),
  requestId: peerRequestIdSchema,
  modelId: modelIdSchema,
  path: modelPathSchema,
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  length: z.number().int().min(1).max(FILE_REQUEST_MAX_BYTES),
});

export const fileChunkFrameSchema = z.strictObject({
  type: z.literal('file:chunk'),
  requestId: peerRequestIdSchema,
  /** 0, 1, 2, … within one request; chunks arrive in order (the channel is reliable and ordered). */
  seq: z.number().int().min(0).max(0x7fff_ffff),
  /** The request's last chunk: the seeder sent exactly `length` bytes in all. */
  last: z.boolean(),
  bytes: z
    .custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected a Uint8Array')
    .refine((bytes) => bytes.byteLength <= FILE_CHUNK_MAX_BYTES, `at most ${FILE_CHUNK_MAX_BYTES} bytes`),
});

export const fileErrorFrameSchema = z.strictObject({
  type: z.literal('file:error'),
  requestId: peerRequestIdSchema,
  code: z.enum(PEER_ERROR_CODE_LIST),
  message: z.string().max(500),
});

/** Most UTF-8 bytes of text in one `task:stream` frame (a 4096-character delta fits). */
export const TASK_STREAM_MAX_BYTES = 16 * 1024;

/**
 * `task:stream`, worker → requesting tab: the next piece of a chat task's text, sent straight to the tab
 * that submitted the task (`directStream` in `task:assign`). `seq` counts from 0 per task and link. The
 * text is a preview: the coordinator's result (signed, possibly checked by a guard) is the answer.
 */
export const taskStreamFrameSchema = z.strictObject({
  type: z.literal('task:stream'),
  taskId: taskIdSchema,
  seq: z.number().int().min(0).max(0x7fff_ffff),
  delta: z
    .string()
    .refine((text) => encoder.encode(text).byteLength <= TASK_STREAM_MAX_BYTES, `at most ${TASK_STREAM_MAX_BYTES} UTF-8 bytes`),
});

/**
 * `task:stream-end`, worker → requesting tab: no more text on this link for the task. `complete`: the
 * engine finished and `chunks` frames were sent; `abandoned`: this worker stopped (cancelled, failed, handed
 * off) and the requester should wait for the coordinator's result instead.
 */
export const taskStreamEndFrameSchema = z.strictObject({
  type: z.literal('task:stream-end'),
  taskId: taskIdSchema,
  chunks: z.number().int().min(0).max(0x7fff_ffff),
  status: z.enum(['complete', 'abandoned']),
});

/**
 * `peer:status`, both ways: what this tab can take now, sent when a link opens and whenever it changes.
 * A busy or leaving tab hands a task only to a peer whose last status shows a free slot for the model.
 */
export const peerStatusFrameSchema = z.strictObject({
  type: z.literal('peer:status'),
  activeTasks: z.number().int().min(0).max(64),
  maxConcurrentTasks: z.number().int().min(0).max(64),
  /** Models loaded and servable now (passed their known-answer check). */
  servingModels: z.array(modelIdSchema).max(32),
  /** The tab is leaving: it will take nothing more. */
  leaving: z.boolean(),
});

export const peerFrameSchema = z.discriminatedUnion('type', [
  fileRequestFrameSchema,
  fileChunkFrameSchema,
  fileErrorFrameSchema,
  taskStreamFrameSchema,
  taskStreamEndFrameSchema,
  peerStatusFrameSchema,
]);
export type PeerFrame = z.infer<typeof peerFrameSchema>;
export type FileRequestFrame = z.infer<typeof fileRequestFrameSchema>;
export type FileChunkFrame = z.infer<typeof fileChunkFrameSchema>;
export type FileErrorFrame = z.infer<typeof fileErrorFrameSchema>;
export type TaskStreamFrame = z.infer<typeof taskStreamFrameSchema>;
export type TaskStreamEndFrame = z.infer<typeof taskStreamEndFrameSchema>;
export type PeerStatusFrame = z.infer<typeof peerStatusFrameSchema>;
export type PeerFrameType = PeerFrame['type'];

/** The kind byte of each frame type. Numbers are never reused. */
export const PEER_FRAME_KINDS = {
  'file:request': 1,
  'file:chunk': 2,
  'file:error': 3,
  'task:stream': 4,
  'task:stream-end': 5,
  'peer:status': 6,
} as const satisfies Record<PeerFrameType, number>;

/** The JSON header of each kind: the frame's fields less `type` (the kind byte) and `bytes` (the payload). */
const headerSchemas = {
  1: fileRequestFrameSchema.omit({ type: true }),
  2: fileChunkFrameSchema.omit({ type: true, bytes: true }),
  3: fileErrorFrameSchema.omit({ type: true }),
  4: taskStreamFrameSchema.omit({ type: true, delta: true }),
  5: taskStreamEndFrameSchema.omit({ type: true }),
  6: peerStatusFrameSchema.omit({ type: true }),
} as const;

export type FrameDecodeOutcome = { ok: true; frame: PeerFrame } | { ok: false; reason: string };
export type FrameEncodeOutcome = { ok: true; bytes: Uint8Array<ArrayBuffer> } | { ok: false; reason: string };

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Encodes a frame after checking it against its schema; refuses frames that would exceed 32 KiB. */
export function encodePeerFrame(frame: PeerFrame): FrameEncodeOutcome {
  const checked = peerFrameSchema.safeParse(frame);
  if (!checked.success) return { ok: false, reason: issues(checked.error) };
  const value = checked.data;
  let header: Uint8Array;
  let payload: Uint8Array | null = null;
  switch (value.type) {
    case 'file:request':
      header = encoder.encode(
        JSON.stringify({
          requestId: value.requestId,
          modelId: value.modelId,
          path: value.path,
          offset: value.offset,
          length: value.length,
        }),
      );
      break;
    case 'file:chunk':
      header = encoder.encode(JSON.stringify({ requestId: value.requestId, seq: value.seq, last: value.last }));
      payload = value.bytes;
      break;
    case 'file:error':
      header = encoder.encode(JSON.stringify({ requestId: value.requestId, code: value.code, message: value.message }));
      break;
    case 'task:stream':
      header = encoder.encode(JSON.stringify({ taskId: value.taskId, seq: value.seq }));
      payload = encoder.encode(value.delta);
      break;
    case 'task:stream-end':
      header = encoder.encode(JSON.stringify({ taskId: value.taskId, chunks: value.chunks, status: value.status }));
      break;
    case 'peer:status':
      header = encoder.encode(
        JSON.stringify({
          activeTasks: value.activeTasks,
          maxConcurrentTasks: value.maxConcurrentTasks,
          servingModels: value.servingModels,
          leaving: value.leaving,
        }),
      );
      break;
    default: {
      const unhandled: never = value;
      return { ok: false, reason: `unknown frame ${JSON.stringify(unhandled)}` };
    }
  }
  if (header.byteLength > MAX_FRAME_HEADER_BYTES)
    return { ok: false, reason: `header is ${header.byteLength} bytes; at most ${MAX_FRAME_HEADER_BYTES}` };
  const total = FRAME_PREFIX_BYTES + header.byteLength + (payload?.byteLength ?? 0);
  if (total > MAX_FRAME_BYTES) return { ok: false, reason: `frame is ${total} bytes; at most ${MAX_FRAME_BYTES}` };
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, PEER_FRAME_VERSION);
  view.setUint8(1, PEER_FRAME_KINDS[value.type]);
  view.setUint16(2, header.byteLength);
  bytes.set(header, FRAME_PREFIX_BYTES);
  if (payload !== null) bytes.set(payload, FRAME_PREFIX_BYTES + header.byteLength);
  return { ok: true, bytes };
}

function isKind(kind: number): kind is keyof typeof headerSchemas {
  return kind >= 1 && kind <= 6;
}

/**
 * Decodes one data-channel message. Anything else than a well-formed frame (text, wrong version, unknown
 * kind, bad JSON, extra or missing fields, a payload where none belongs, more than 32 KiB) is refused with
 * a reason. A chunk's `bytes` is a view into `data`, not a copy.
 */
export function decodePeerFrame(data: unknown): FrameDecodeOutcome {
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else return { ok: false, reason: `expected binary data, got ${typeof data}` };
  if (bytes.byteLength > MAX_FRAME_BYTES) return { ok: false, reason: `frame is ${bytes.byteLength} bytes; at most ${MAX_FRAME_BYTES}` };
  if (bytes.byteLength < FRAME_PREFIX_BYTES) return { ok: false, reason: `frame is ${bytes.byteLength} bytes; shorter than its prefix` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== PEER_FRAME_VERSION) return { ok: false, reason: `frame version ${version}; this tab speaks ${PEER_FRAME_VERSION}` };
  const kind = view.getUint8(1);
  if (!isKind(kind)) return { ok: false, reason: `unknown frame kind ${kind}` };
  const headerLength = view.getUint16(2);
  if (headerLength > MAX_FRAME_HEADER_BYTES || FRAME_PREFIX_BYTES + headerLength > bytes.byteLength) {
    return { ok: false, reason: `header length ${headerLength} does not fit the frame` };
  }
  let fields: unknown;
  try {
    fields = JSON.parse(decoder.decode(bytes.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + headerLength)));
  } catch {
    return { ok: false, reason: 'header is not UTF-8 JSON' };
  }
  const payload = bytes.subarray(FRAME_PREFIX_BYTES + headerLength);
  switch (kind) {
    case 1: {
      const r = headerSchemas[1].safeParse(fields);
      if (!r.success) return { ok: false, reason: `file:request: ${issues(r.error)}` };
      if (payload.byteLength > 0) return { ok: false, reason: 'file:request carries no payload' };
      return { ok: true, frame: { type: 'file:request', ...r.data } };
    }
    case 2: {
      const r = headerSchemas[2].safeParse(fields);
      if (!r.success) return { ok: false, reason: `file:chunk: ${issues(r.error)}` };
      if (payload.byteLength > FILE_CHUNK_MAX_BYTES)
        return { ok: false, reason: `file:chunk payload is ${payload.byteLength} bytes; at most ${FILE_CHUNK_MAX_BYTES}` };
      return { ok: true, frame: { type: 'file:chunk', ...r.data, bytes: payload } };
    }
    case 3: {
      const r = headerSchemas[3].safeParse(fields);
      if (!r.success) return { ok: false, reason: `file:error: ${issues(r.error)}` };
      if (payload.byteLength > 0) return { ok: false, reason: 'file:error carries no payload' };
      return { ok: true, frame: { type: 'file:error', ...r.data } };
    }
    case 4: {
      const r = headerSchemas[4].safeParse(fields);
      if (!r.success) return { ok: false, reason: `task:stream: ${issues(r.error)}` };
      if (payload.byteLength > TASK_STREAM_MAX_BYTES)
        return { ok: false, reason: `task:stream payload is ${payload.byteLength} bytes; at most ${TASK_STREAM_MAX_BYTES}` };
      let delta: string;
      try {
        delta = decoder.decode(payload);
      } catch {
        return { ok: false, reason: 'task:stream text is not UTF-8' };
      }
      return { ok: true, frame: { type: 'task:stream', ...r.data, delta } };
    }
    case 5: {
      const r = headerSchemas[5].safeParse(fields);
      if (!r.success) return { ok: false, reason: `task:stream-end: ${issues(r.error)}` };
      if (payload.byteLength > 0) return { ok: false, reason: 'task:stream-end carries no payload' };
      return { ok: true, frame: { type: 'task:stream-end', ...r.data } };
    }
    case 6: {
      const r = headerSchemas[6].safeParse(fields);
      if (!r.success) return { ok: false, reason: `peer:status: ${issues(r.error)}` };
      if (payload.byteLength > 0) return { ok: false, reason: 'peer:status carries no payload' };
      return { ok: true, frame: { type: 'peer:status', ...r.data } };
    }
  }
}
