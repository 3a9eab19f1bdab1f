import { z } from 'zod';

/** A transformers.js weight type: which ONNX export of a model a tab loads (`model.onnx`, `model_q4.onnx`, …). */
export const modelDtypeSchema = z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16']);
export type ModelDtype = z.infer<typeof modelDtypeSchema>;
