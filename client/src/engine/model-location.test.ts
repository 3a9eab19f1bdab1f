import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, findModel } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { isAllowedModelUrl, modelFileUrl, modelLocation } from './model-location.ts';

const hosts = { coordinatorOrigin: 'http://127.0.0.1:8787', hubUrl: 'https://hub.example' };

function entry(id: string): ModelCatalogEntry {
  const found = findModel(MODEL_CATALOG, id);
  if (found === undefined) throw new Error(`catalog lacks ${id}`);
  return found;
}

describe('modelLocation', () => {
  it('puts mirrored models under the coordinator /models/<id>/ and nowhere else', () => {
    const location = modelLocation(entry(TINY_GPT2_ID), hosts);
    expect(modelFileUrl(location, 'onnx/model.onnx')).toBe('http://127.0.0.1:8787/models/tessera/tiny-gpt2/onnx/model.onnx');
    expect(modelFileUrl(location, 'config.json')).toBe('http://127.0.0.1:8787/models/tessera/tiny-gpt2/config.json');
    expect(isAllowedModelUrl(location, 'http://127.0.0.1:8787/models/x', hosts.coordinatorOrigin)).toBe(true);
    expect(isAllowedModelUrl(location, 'https://hub.example/tessera/tiny-gpt2/resolve/main/config.json', hosts.coordinatorOrigin)).toBe(
      false,
    );
  });

  it('uses the coordinator origin only, whatever path the origin option carries', () => {
    const location = modelLocation(entry(TINY_BERT_ID), { ...hosts, coordinatorOrigin: 'http://127.0.0.1:8787/some/page' });
    expect(location.remoteHost).toBe('http://127.0.0.1:8787/models/');
  });

  it('loads hub models from the hub repo at its pinned revision', () => {
    const location = modelLocation(entry('Xenova/all-MiniLM-L6-v2'), hosts);
    expect(modelFileUrl(location, 'onnx/model.onnx')).toBe('https://hub.example/Xenova/all-MiniLM-L6-v2/resolve/main/onnx/model.onnx');
    expect(location.allowedOrigins).toBeNull();
  });
});
