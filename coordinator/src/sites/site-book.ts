import { randomBytes } from 'node:crypto';
import { siteKeySchema } from '@tessera/shared';
import type { EmbeddedIn, SiteKey, SiteRegistration, SiteView } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import { SITE_SHARE_SUFFIX } from '../rewards/ledger.ts';

const siteRowSchema = z.object({
  site_key: siteKeySchema,
  origins: z.string(),
  account_id: z.string().nullable(),
  public_key: z.string().nullable(),
  created_at: z.number().int(),
});
type SiteRow = z.infer<typeof siteRowSchema>;

/** A registered site: where its pages are served from and whom its share is paid to. */
export interface Site {
  siteKey: SiteKey;
  origins: readonly string[];
  /** Paid straight to this Hedera account … */
  accountId: string | null;
  /** … or credited to this tab key, whose linked account is paid as a volunteer's is. */
  publicKey: string | null;
  createdAt: number;
}

function siteOf(row: SiteRow): Site {
  return {
    siteKey: row.site_key,
    origins: z.array(z.string()).parse(JSON.parse(row.origins)),
    accountId: row.account_id,
    publicKey: row.public_key,
    createdAt: row.created_at,
  };
}

/**
 * The sites that embed the widget (`sites`), and which tasks were served through each (`site_tasks`: one row
 * per task whose site share was credited, with the visitor's key). The share itself is a ledger row
 * (`<task>~site`), so it goes through escrow, slashing and epoch settlement like any credit.
 */
export class SiteBook {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  register(registration: SiteRegistration): Site {
    const site: Site = {
      siteKey: siteKeySchema.parse(`site_${randomBytes(16).toString('base64url')}`),
      origins: [...new Set(registration.origins)],
      accountId: 'account' in registration ? registration.account : null,
      publicKey: 'publicKey' in registration ? registration.publicKey : null,
      createdAt: this.#now(),
    };
    this.#db.run(`INSERT INTO sites (site_key, origins, account_id, public_key, created_at) VALUES (?, ?, ?, ?, ?)`, [
      site.siteKey,
      JSON.stringify(site.origins),
      site.accountId,
      site.publicKey,
      site.createdAt,
    ]);
    return site;
  }

  get(siteKey: string): Site | undefined {
    const row: unknown = this.#db.get(`SELECT * FROM sites WHERE site_key = ?`, [siteKey]);
    return row === undefined ? undefined : siteOf(siteRowSchema.parse(row));
  }

  /**
   * The site a widget tab's work is credited to: the one its key names, if the page the frame found itself
   * in is one of that site's origins. Otherwise none (the widget still works).
   */
  creditedSite(embeddedIn: EmbeddedIn | undefined): Site | undefined {
    if (embeddedIn?.siteKey == null || embeddedIn.pageOrigin === null) return undefined;
    const site = this.get(embeddedIn.siteKey);
    return site !== undefined && site.origins.includes(embeddedIn.pageOrigin) ? site : undefined;
  }

  recordTask(entry: { taskId: string; siteKey: SiteKey; workerKey: string }): void {
    this.#db.run(
      `INSERT INTO site_tasks (task_id, site_key, worker_key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (task_id) DO NOTHING`,
      [entry.taskId, entry.siteKey, entry.workerKey, this.#now()],
    );
  }

  view(site: Site): SiteView {
    const counts = z
      .object({ tasks: z.coerce.number().int(), visitors: z.coerce.number().int() })
      .parse(
        this.#db.get(`SELECT COUNT(*) AS tasks, COUNT(DISTINCT worker_key) AS visitors FROM site_tasks WHERE site_key = ?`, [site.siteKey]),
      );
    const rows = z
      .array(z.object({ status: z.string(), amount: z.string() }))
      .parse(
        this.#db.all(
          `SELECT c.status AS status, c.amount AS amount FROM site_tasks s JOIN credits c ON c.task_id = s.task_id || ? WHERE s.site_key = ?`,
          [SITE_SHARE_SUFFIX, site.siteKey],
        ),
      );
    const sum = (status: string): string =>
      rows
        .filter((row) => row.status === status)
        .reduce((total, row) => total + BigInt(row.amount), 0n)
        .toString();
    return {
      siteKey: site.siteKey,
      origins: [...site.origins],
      account: site.accountId,
      publicKey: site.publicKey,
      createdAt: site.createdAt,
      visitors: counts.visitors,
      tasks: counts.tasks,
      credit: { escrowed: sum('escrow'), credited: sum('credited'), settled: sum('settled'), slashed: sum('slashed') },
    };
  }

  /** Sites by tasks served through them, most first. */
  list(limit = 50): SiteView[] {
    const rows = z.array(siteRowSchema).parse(
      this.#db.all(
        `SELECT s.* FROM sites s LEFT JOIN (SELECT site_key, COUNT(*) AS n FROM site_tasks GROUP BY site_key) t USING (site_key)
           ORDER BY COALESCE(t.n, 0) DESC, s.created_at LIMIT ?`,
        [limit],
      ),
    );
    return rows.map((row) => this.view(siteOf(row)));
  }
}
