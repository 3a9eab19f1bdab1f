/**
 * PostgreSQL numbers its parameters (`$1`, `$2`, …) where SQLite also takes `?`: the stores write `?` and
 * this rewrites it, skipping string literals, quoted identifiers and comments. Returns the rewritten text
 * and how many parameters it takes. (PostgreSQL's jsonb `?` operators are not used by the coordinator; a
 * `?` outside quotes is always a parameter.)
 *
 * @example
 * numberedPlaceholders(`SELECT '?' AS q FROM t WHERE a = ? AND b = ?`)
 * // { sql: `SELECT '?' AS q FROM t WHERE a = $1 AND b = $2`, params: 2 }
 */
export function numberedPlaceholders(sql: string): { sql: string; params: number } {
  let out = '';
  let params = 0;
  let index = 0;
  while (index < sql.length) {
    const char = sql[index];
    const next = sql[index + 1];
    let end: number;
    if (char === "'" || char === '"') end = closingQuote(sql, index, char);
    else if (char === '-' && next === '-') end = lineEnd(sql, index);
    else if (char === '/' && next === '*') end = commentEnd(sql, index);
    else {
      out += char === '?' ? `$${++params}` : char;
      index++;
      continue;
    }
    out += sql.slice(index, end);
    index = end;
  }
  return { sql: out, params };
}

/** The index after the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, quote: string): number {
  let index = start + 1;
  for (;;) {
    const found = sql.indexOf(quote, index);
    if (found === -1) return sql.length;
    if (sql[found + 1] !== quote) return found + 1;
    index = found + 2;
  }
}

function lineEnd(sql: string, start: number): number {
  const found = sql.indexOf('\n', start);
  return found === -1 ? sql.length : found;
}

function commentEnd(sql: string, start: number): number {
  const found = sql.indexOf('*/', start + 2);
  return found === -1 ? sql.length : found + 2;
}
