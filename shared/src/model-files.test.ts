import { describe, expect, it } from 'vitest';
import { MODEL_CATALOG, findModel } from './model-catalog.ts';
import { entryDtypes, filesForBackend, hubFileUrl, hubRevisionUrl, onnxFileDtype, transformersModelFiles } from './model-files.ts';

const QWEN = findModel(MODEL_CATALOG, 'onnx-community/Qwen2.5-0.5B-Instruct');
if (QWEN === undefined) throw new Error('no Qwen entry');

/** A repository listing in the shape of onnx-community's exports. */
const REPO = [
  '.gitattributes',
  'README.md',
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'onnx/model.onnx',
  'onnx/model.onnx_data',
  'onnx/model_fp16.onnx',
  'onnx/model_int8.onnx',
  'onnx/model_q4.onnx',
  'onnx/model_q4.onnx_data',
  'onnx/model_q4.onnx_data_1',
  'onnx/model_q4f16.onnx',
  'onnx/model_quantized.onnx',
  'onnx/model_bnb4.onnx',
];

describe('model files', () => {
  it('reads the weight type from transformers.js file names', () => {
    expect(onnxFileDtype('onnx/model.onnx')).toBe('fp32');
    expect(onnxFileDtype('onnx/model.onnx_data')).toBe('fp32');
    expect(onnxFileDtype('onnx/model_q4.onnx_data_1')).toBe('q4');
    expect(onnxFileDtype('onnx/model_q4f16.onnx')).toBe('q4f16');
    expect(onnxFileDtype('onnx/model_quantized.onnx')).toBe('q8');
    expect(onnxFileDtype('onnx/model_int8.onnx')).toBe('other');
    expect(onnxFileDtype('onnx/decoder_model_merged_fp16.onnx')).toBe('fp16');
    expect(onnxFileDtype('config.json')).toBeNull();
    expect(onnxFileDtype('model.onnx')).toBeNull();
  });

  it('lists the config, tokenizer and the weights of the entry’s dtypes, and a tab takes its backend’s', () => {
    expect(entryDtypes(QWEN)).toEqual(['q4', 'q4f16']);
    const listed = transformersModelFiles(REPO, entryDtypes(QWEN));
    expect(listed).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/model_q4.onnx',
      'onnx/model_q4.onnx_data',
      'onnx/model_q4.onnx_data_1',
      'onnx/model_q4f16.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const files = listed.map((path) => ({ path }));
    expect(filesForBackend(files, QWEN, 'webgpu').map((file) => file.path)).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/model_q4f16.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(filesForBackend(files, QWEN, 'wasm').map((file) => file.path)).not.toContain('onnx/model_q4f16.onnx');
  });

  it('builds the hub’s URLs as transformers.js does', () => {
    expect(hubRevisionUrl('https://hub.test', 'org/repo', 'main')).toBe('https://hub.test/api/models/org/repo/revision/main');
    expect(hubFileUrl('http://127.0.0.1:9/bad/', 'org/repo', 'abc', 'onnx/model.onnx')).toBe(
      'http://127.0.0.1:9/bad/org/repo/resolve/abc/onnx/model.onnx',
    );
  });
});
