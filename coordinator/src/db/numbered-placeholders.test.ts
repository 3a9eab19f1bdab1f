import { describe, expect, it } from 'vitest';
import { numberedPlaceholders } from './numbered-placeholders.ts';

describe('numberedPlaceholders', () => {
  it('numbers each ? in order', () => {
    expect(numberedPlaceholders('UPDATE tasks SET node_id = ?, lease_expires_at = ? WHERE id = ? AND status = ?')).toEqual({
      sql: 'UPDATE tasks SET node_id = $1, lease_expires_at = $2 WHERE id = $3 AND status = $4',
      params: 4,
    });
  });

  it('leaves a ? inside string literals, quoted identifiers and comments alone', () => {
    const sql = `SELECT 'it''s ?' AS "who?", ? -- why?\n FROM t /* ? */ WHERE a = ?`;
    expect(numberedPlaceholders(sql)).toEqual({ sql: `SELECT 'it''s ?' AS "who?", $1 -- why?\n FROM t /* ? */ WHERE a = $2`, params: 2 });
  });

  it('takes a statement without parameters as it is', () => {
    expect(numberedPlaceholders(`SELECT status, COUNT(*) AS n FROM tasks WHERE status != 'slashed' GROUP BY status`)).toEqual({
      sql: `SELECT status, COUNT(*) AS n FROM tasks WHERE status != 'slashed' GROUP BY status`,
      params: 0,
    });
  });

  it('does not run past an unclosed quote or comment', () => {
    expect(numberedPlaceholders(`SELECT ? || 'open ?`).sql).toBe(`SELECT $1 || 'open ?`);
    expect(numberedPlaceholders(`SELECT ? /* open ?`).sql).toBe(`SELECT $1 /* open ?`);
    expect(numberedPlaceholders(`SELECT ? -- ?`).sql).toBe(`SELECT $1 -- ?`);
  });
});
