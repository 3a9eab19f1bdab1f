import { z } from 'zod';
import { errorCodeSchema } from '../error-codes.ts';

/**
 * The typed `postMessage` protocol between `<tessera-widget>` (in the host page) and its frame (on the
 * coordinator's origin). Both ends parse every message with these schemas and check its origin and
 * source window; anything else is dropped. Nothing here carries the visitor's key, a signature or a
 * result: the host can ask the frame to start, stop or ask a question, and hears what the frame
 * chooses to tell it.
 */
export const WIDGET_PROTOCOL = 'tessera-widget/1';

const requestIdSchema = z.string().min(1).max(64);
const questionSchema = z.string().min(1).max(4_000);

/** host → frame */
export const widgetCommandSchema = z.discriminatedUnion('type', [
  /** Contribute (after consent only: before it, the frame shows its consent button and does nothing else). */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('start') }),
  /** Stop working; consent stays remembered. */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('stop') }),
  /** Ask the network (chat modes); answered by `answer` or `error` with the same id. */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('ask'), id: requestIdSchema, text: questionSchema }),
]);
export type WidgetCommand = z.infer<typeof widgetCommandSchema>;

/** Why the frame stopped working. */
export const widgetStopReasonSchema = z.enum(['stopped', 'revoked', 'hidden', 'battery', 'declined', 'error']);
export type WidgetStopReason = z.infer<typeof widgetStopReasonSchema>;

/** frame → host */
export const widgetNoticeSchema = z.discriminatedUnion('type', [
  /** The frame listens; commands sent before this are not lost (the element queues them). */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('ready') }),
  /** The visitor answered the consent question (`remembered`: kept for this site, in the frame's storage). */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('consent'), granted: z.boolean(), remembered: z.boolean() }),
  /** This browser serves tasks. */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('serving') }),
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('stopped'), reason: widgetStopReasonSchema }),
  /** The whole answer to an `ask` (the frame shows it streaming). */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('answer'), id: requestIdSchema, text: z.string().max(200_000) }),
  z.strictObject({
    protocol: z.literal(WIDGET_PROTOCOL),
    type: z.literal('error'),
    id: requestIdSchema.nullable(),
    code: errorCodeSchema,
    message: z.string().max(1_000),
  }),
  /** The frame's content height, so an inline widget takes the room it needs. */
  z.strictObject({ protocol: z.literal(WIDGET_PROTOCOL), type: z.literal('resize'), height: z.number().int().min(0).max(4_000) }),
]);
export type WidgetNotice = z.infer<typeof widgetNoticeSchema>;

type Body<Message> = Message extends unknown ? Omit<Message, 'protocol'> : never;

export function widgetCommand(body: Body<WidgetCommand>): WidgetCommand {
  return widgetCommandSchema.parse({ ...body, protocol: WIDGET_PROTOCOL });
}

export function widgetNotice(body: Body<WidgetNotice>): WidgetNotice {
  return widgetNoticeSchema.parse({ ...body, protocol: WIDGET_PROTOCOL });
}
