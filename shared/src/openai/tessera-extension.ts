import { z } from 'zod';
import { resultVerificationSchema } from '../verification/result-verification.ts';

/** Tessera's own field on OpenAI-shaped answers; OpenAI's clients keep unknown fields and ignore them. */
export const tesseraExtensionSchema = z.object({ verification: resultVerificationSchema });
export type TesseraExtension = z.infer<typeof tesseraExtensionSchema>;
