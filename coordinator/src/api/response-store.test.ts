import { TINY_GPT2_ID, type ResponseObject } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/test-database.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import { ResponseStore } from './response-store.ts';

const opened: SqlDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));
async function database(): Promise<SqlDatabase> {
  const db = await openTestDatabase();
  opened.push(db);
  return db;
}

const DAY = 24 * 60 * 60 * 1000;
const conversation = [
  { role: 'user' as const, content: 'hi' },
  { role: 'assistant' as const, content: 'echo: hi' },
];

function responseObject(id: string): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: 1,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: TINY_GPT2_ID,
    output: [
      {
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'echo: hi', annotations: [] }],
      },
    ],
    parallel_tool_calls: false,
    previous_response_id: null,
    store: true,
    temperature: 1,
    top_p: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'none',
    tools: [],
    truncation: 'disabled',
    usage: null,
    metadata: {},
  };
}

describe('ResponseStore', () => {
  it("gives a key's response to that key only, an anonymous one to anyone, and forgets one on delete or after its days", async () => {
    let now = 1_000 * DAY;
    const store = new ResponseStore({ db: await database(), now: () => now });
    store.save('resp_keyed', { model: TINY_GPT2_ID, conversation, response: responseObject('resp_keyed') }, 'key_a');
    store.save('resp_open', { model: TINY_GPT2_ID, conversation, response: responseObject('resp_open') }, null);

    expect(store.get('resp_keyed', 'key_a')).toEqual({ model: TINY_GPT2_ID, conversation, response: responseObject('resp_keyed') });
    expect(store.get('resp_keyed', 'key_b')).toBeUndefined();
    expect(store.get('resp_keyed', null)).toBeUndefined();
    expect(store.get('resp_open', 'key_b')?.response?.id).toBe('resp_open');
    expect(store.delete('resp_keyed', 'key_b')).toBe(false);
    expect(store.delete('resp_keyed', null)).toBe(false);
    expect(store.get('resp_keyed', 'key_a')).toBeDefined();
    expect(store.delete('resp_keyed', 'key_a')).toBe(true);
    expect(store.get('resp_keyed', 'key_a')).toBeUndefined();
    expect(store.delete('resp_keyed', 'key_a')).toBe(false);

    now += 31 * DAY;
    expect(store.get('resp_open', null)).toBeUndefined();
    expect(store.delete('resp_open', null)).toBe(false);
  });

  it('reads a response stored before GET was served: its conversation continues, with no object to retrieve', async () => {
    const db = await database();
    db.run(`INSERT INTO responses (id, model, conversation, created_at) VALUES (?, ?, ?, ?)`, [
      'resp_old',
      TINY_GPT2_ID,
      JSON.stringify(conversation),
      Date.now(),
    ]);
    const store = new ResponseStore({ db });
    expect(store.get('resp_old', null)).toEqual({ model: TINY_GPT2_ID, conversation, response: null });
    expect(store.get('resp_old', 'key_a')?.response).toBeNull();
  });
});
