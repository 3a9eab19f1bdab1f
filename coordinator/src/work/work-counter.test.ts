import { MODEL_CATALOG, TINY_GPT2_ID, auditChatWork, findModel } from '@tessera/shared';
import type { ChatTaskSpec, ModelCatalogEntry } from '@tessera/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { chatOutput, tinyGpt2Tokenizer } from '../../test/support/tiny-tokens.ts';
import { WorkCounter } from './work-counter.ts';

const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
if (tiny === undefined) throw new Error('no tiny-gpt2');
const BROKEN: ModelCatalogEntry = { ...tiny, id: 'test/broken' };
const logger = pino({ level: 'silent' });

const spec: ChatTaskSpec = {
  kind: 'chat',
  model: TINY_GPT2_ID,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'count my prompt' },
  ],
  params: { maxTokens: 16, temperature: 0, topP: 1, seed: null, stop: [] },
};

describe('WorkCounter.promptTokens', () => {
  it("counts a prompt as a result's promptTokens will be counted, and refuses a model whose tokenizer did not load, without retrying at once", async () => {
    let loads = 0;
    let now = 0;
    const counter = new WorkCounter({
      catalog: [tiny, BROKEN],
      logger,
      now: () => now,
      retryAfterMs: 60_000,
      load: async (model) => {
        loads += 1;
        if (model.id === BROKEN.id) throw new Error('no tokenizer.json');
        return tinyGpt2Tokenizer;
      },
    });
    const audit = auditChatWork(spec, chatOutput('an answer'), tinyGpt2Tokenizer, tiny);
    expect(audit.ok && audit.usage.promptTokens).toBeGreaterThan(0);
    expect(await counter.promptTokens(spec)).toEqual({ ok: true, tokens: audit.ok ? audit.usage.promptTokens : -1 });

    expect(await counter.promptTokens({ ...spec, model: 'test/unknown' })).toEqual({
      ok: false,
      uncountable: 'test/unknown is not in the catalog',
    });
    const broken = { ...spec, model: BROKEN.id };
    expect(await counter.promptTokens(broken)).toMatchObject({ ok: false, uncountable: expect.stringContaining('no tokenizer.json') });
    const afterFirst = loads;
    expect(await counter.promptTokens(broken)).toMatchObject({ ok: false });
    expect(loads).toBe(afterFirst);
    now += 60_001;
    await counter.promptTokens(broken);
    expect(loads).toBe(afterFirst + 1);
  });
});
