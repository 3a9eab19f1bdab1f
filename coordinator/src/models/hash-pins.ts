import { findModel } from '@tessera/shared';
import type { AttestedFile, ErrorCode, ModelAttest, ModelCatalogEntry, ModelFile } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { ModelTrustMetrics } from './model-trust-metrics.ts';

export interface HashPinsOptions {
  db: SqlDatabase;
  catalog: readonly ModelCatalogEntry[];
  /** Distinct keys that must report the same sha256 (and size) for a file before it is pinned. */
  agreement: number;
  /** Whether a key's word counts towards a pin (not when it was demoted or banned); all count by default. */
  counts?: (publicKey: string) => boolean;
  /** The connected tabs: those whose bytes differ from a new pin are refused the model at once. */
  sessions: () => Iterable<WorkerSession>;
  logger: FastifyBaseLogger;
  metrics?: ModelTrustMetrics;
  /** A tab was refused a model here; the gateway re-indexes it. */
  onRefused?: (session: WorkerSession) => void;
  now?: () => number;
}

export type AttestOutcome = { ok: true } | { ok: false; code: ErrorCode; message: string };

type FileHashes = ReadonlyMap<string, { sha256: string; bytes: number }>;

const pinRowsSchema = z.array(z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int() }));
const keyRowsSchema = z.array(z.object({ public_key: z.string() }));

const ATTEST = `INSERT INTO file_attestations (model, path, public_key, sha256, bytes, revision, attested_at) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (model, path, public_key) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes,
    revision = excluded.revision, attested_at = excluded.attested_at`;
const PIN = `INSERT INTO file_pins (model, path, sha256, bytes, pinned_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (model, path) DO NOTHING`;

/**
 * Pin by agreement, for hub models whose catalog entry lists no hashes (nobody could reach the hub to hash
 * them): every tab reports the sha256 of each file it loaded (`model:attest`) before the model is checked,
 * and a file's hash is pinned once `agreement` distinct keys reported the same one. From then on a tab whose
 * bytes differ is refused that model (`modelChecks` 'refused'), logged and counted in metrics — also a
 * tab that attested before the pin. Until a file is pinned, tabs serve on the word of the known-answer checks
 * and guards alone. Attestations and pins live in the database, so restarts keep them. Where the catalog has
 * hashes, they are the pins.
 */
export class HashPins {
  readonly #options: HashPinsOptions;
  /** What each connected tab attested, per model; a new connection attests again. */
  readonly #attested = new WeakMap<WorkerSession, Map<string, FileHashes>>();

  constructor(options: HashPinsOptions) {
    this.#options = options;
  }

  /** Whether tabs must attest a model's files before it is checked: a transformers.js hub model without catalog hashes. */
  needsAttestation(modelId: string): boolean {
    const entry = findModel(this.#options.catalog, modelId);
    return entry !== undefined && entry.source.kind === 'hub' && entry.engine === 'transformers' && entry.files.length === 0;
  }

  /** Whether a tab's model waits for its attestation before the known-answer check. */
  awaits(session: WorkerSession, modelId: string): boolean {
    return session.role !== 'requester' && this.needsAttestation(modelId) && this.#attested.get(session)?.has(modelId) !== true;
  }

  /** The pinned files of a model: the catalog's hashes, or those pinned by agreement. */
  pins(modelId: string): ModelFile[] {
    const entry = findModel(this.#options.catalog, modelId);
    if (entry !== undefined && entry.files.length > 0) return [...entry.files];
    return pinRowsSchema.parse(this.#options.db.all('SELECT path, sha256, bytes FROM file_pins WHERE model = ? ORDER BY path', [modelId]));
  }

  /** A tab's report of the files it loaded for a model. */
  attest(session: WorkerSession, attest: ModelAttest): AttestOutcome {
    const entry = findModel(this.#options.catalog, attest.modelId);
    if (entry === undefined) return { ok: false, code: 'model_not_found', message: `${attest.modelId} is not in the catalog.` };
    if (entry.source.kind !== 'hub')
      return {
        ok: false,
        code: 'protocol_violation',
        message: `${attest.modelId} is mirrored by the coordinator; its hashes are in the catalog.`,
      };
    const hashes: FileHashes = new Map(attest.files.map((file) => [file.path, { sha256: file.sha256, bytes: file.bytes }]));
    const models = this.#attested.get(session) ?? new Map<string, FileHashes>();
    models.set(attest.modelId, hashes);
    this.#attested.set(session, models);

    const pinned = new Map(this.pins(attest.modelId).map((file) => [file.path, file]));
    const differing: string[] = [];
    const newlyPinned: ModelFile[] = [];
    const { db } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    db.transaction(() => {
      for (const file of attest.files) {
        const pin = pinned.get(file.path);
        if (pin !== undefined) {
          if (pin.sha256 !== file.sha256 || pin.bytes !== file.bytes) differing.push(file.path);
          continue;
        }
        if (entry.files.length > 0) continue;
        db.run(ATTEST, [attest.modelId, file.path, session.key.publicKey, file.sha256, file.bytes, attest.revision, now]);
        if (this.#agreeing(attest.modelId, file) < this.#options.agreement) continue;
        db.run(PIN, [attest.modelId, file.path, file.sha256, file.bytes, now]);
        newlyPinned.push({ path: file.path, sha256: file.sha256, bytes: file.bytes });
      }
    });

    for (const pin of newlyPinned) {
      this.#options.metrics?.filePinned(attest.modelId);
      this.#options.logger.info({ model: attest.modelId, path: pin.path, sha256: pin.sha256 }, 'model file pinned by agreement');
    }
    if (differing.length > 0) this.#refuse(session, attest.modelId, `its ${differing.join(', ')} differ from the pinned sha256`);
    // Tabs that attested other bytes before the pin are refused now.
    for (const other of this.#options.sessions()) {
      if (other === session) continue;
      const theirs = this.#attested.get(other)?.get(attest.modelId);
      const wrong = newlyPinned.filter((pin) => {
        const file = theirs?.get(pin.path);
        return file !== undefined && (file.sha256 !== pin.sha256 || file.bytes !== pin.bytes);
      });
      if (wrong.length > 0)
        this.#refuse(other, attest.modelId, `its ${wrong.map((pin) => pin.path).join(', ')} differ from the newly pinned sha256`);
    }
    return { ok: true };
  }

  /** Distinct counting keys that reported exactly this file. */
  #agreeing(modelId: string, file: AttestedFile): number {
    const rows = keyRowsSchema.parse(
      this.#options.db.all('SELECT public_key FROM file_attestations WHERE model = ? AND path = ? AND sha256 = ? AND bytes = ?', [
        modelId,
        file.path,
        file.sha256,
        file.bytes,
      ]),
    );
    const counts = this.#options.counts ?? (() => true);
    return rows.filter((row) => counts(row.public_key)).length;
  }

  #refuse(session: WorkerSession, modelId: string, why: string): void {
    if (session.modelChecks.get(modelId) === 'refused') return;
    session.modelChecks.set(modelId, 'refused');
    this.#options.metrics?.fileRefused(modelId);
    this.#options.logger.warn(
      { nodeId: session.nodeId, key: session.key.fingerprint, model: modelId },
      `model refused for this tab: ${why}`,
    );
    this.#options.onRefused?.(session);
  }
}
