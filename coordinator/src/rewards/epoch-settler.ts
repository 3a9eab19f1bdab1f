import type { FastifyBaseLogger } from 'fastify';
import { formatAmount } from '@tessera/shared';
import type { AccountDirectory } from './account-directory.ts';
import { crashPoint as killAt, type CrashPoint } from './crash-point.ts';
import type { HcsPublisher } from './hcs-publisher.ts';
import type { ClosedEpoch, Ledger } from './ledger.ts';
import { NO_ROOT, type RewardChain } from './reward-chain.ts';
import type { EpochToPost, EpochToPublish, SettlementJournal } from './settlement-journal.ts';
import type { SettlementMetrics } from './settlement-metrics.ts';

export interface EpochSettlerOptions {
  ledger: Ledger;
  journal: SettlementJournal;
  directory: AccountDirectory;
  /** Absent when no chain is configured: epochs close and keep their proofs, nothing is posted. */
  chain: RewardChain | undefined;
  /** Absent when no Hedera operator is configured: summaries are skipped, with a log line per epoch. */
  hcs: HcsPublisher | undefined;
  metrics: SettlementMetrics | undefined;
  logger: FastifyBaseLogger;
  intervalMs: number;
  /** How often a halted settlement says so again in the log. Default 60 s. */
  haltReminderMs?: number;
  /** The crash test hook (`crash-point.ts`); tests of this class may pass their own. */
  crashPoint?: (point: CrashPoint) => void;
  /** Whether this instance settles for the network now (scale-out: only the leader does). Always, alone. */
  leads?: () => boolean;
}

/** Settlement stopped because the chain holds another root for an epoch: nothing is posted until an operator acts. */
export interface SettlementHalt {
  epoch: number;
  ours: { root: string; total: bigint };
  onChain: { root: string; total: bigint };
}

/**
 * Closes epochs when they end and brings each closed epoch out: its Merkle root to the distributor, then its
 * summary to the HCS topic. Before every post it reads the chain (at start, and on every retry): a root
 * already there and equal to ours is recorded, not posted again (a crash after the post); a different one
 * stops settlement for that epoch and every later one, with an error in the log and
 * `tessera_settlement_halted` set. HCS summaries are signed once, kept, and the same transaction is sent
 * again until it lands (`SettlementJournal`). Credit is never lost on the way: closed epochs keep their
 * proofs whether or not they reach the chain.
 */
export class EpochSettler {
  readonly #options: EpochSettlerOptions;
  readonly #crash: (point: CrashPoint) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #halt: SettlementHalt | undefined;
  #haltLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(options: EpochSettlerOptions) {
    this.#options = options;
    this.#crash = options.crashPoint ?? ((point) => killAt(point));
  }

  /** Reconciles with the chain at once (a crash may have left a post unrecorded), then on every interval. */
  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs);
    this.#timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Why settlement is stopped, if it is. */
  get halt(): SettlementHalt | undefined {
    return this.#halt;
  }

  /** Closes the open epoch now, whatever its end time (operators, tests), then settles. */
  async closeNow(): Promise<ClosedEpoch> {
    await this.#running;
    const closed = this.#close();
    await this.tick();
    return closed;
  }

  /** One pass: close a due epoch, post what is not on chain, publish what is not on the topic. Never runs twice at once. */
  tick(): Promise<void> {
    this.#running ??= this.#settle()
      .catch((error: unknown) => this.#options.logger.error({ err: messageOf(error) }, 'settlement pass failed; the next one retries'))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #settle(): Promise<void> {
    const { ledger, journal, chain, hcs } = this.#options;
    if (this.#options.leads?.() === false) return;
    if (ledger.epochDue()) this.#close();
    if (chain !== undefined) {
      for (const epoch of journal.toPost()) if (!(await this.#post(chain, epoch))) break;
    }
    if (hcs !== undefined) {
      for (const epoch of journal.toPublish()) if (!(await this.#publish(hcs, epoch))) break;
    }
  }

  /** Brings one epoch's root on chain, or finds it there. False when settlement must stop here for now. */
  async #post(chain: RewardChain, epoch: EpochToPost): Promise<boolean> {
    const { journal, logger, metrics } = this.#options;
    try {
      const onChain = await chain.postedEpoch(epoch.epoch);
      if (onChain.root === NO_ROOT) {
        if (epoch.fromBlock === null) journal.rememberFromBlock(epoch.epoch, await chain.blockNumber());
        const txHash = await chain.postEpoch(epoch.epoch, epoch.root, epoch.total);
        this.#crash('after-chain-post');
        journal.markPosted(epoch.epoch, txHash);
        logger.info({ epoch: epoch.epoch, root: epoch.root, txHash }, `epoch ${epoch.epoch} root on chain`);
        if (this.#options.hcs === undefined) {
          logger.info(
            'HCS epoch summary skipped: no Hedera operator configured (set TESSERA_HEDERA_OPERATOR_ID, TESSERA_HEDERA_OPERATOR_KEY and TESSERA_HCS_TOPIC_ID)',
          );
        }
        return true;
      }
      if (onChain.root.toLowerCase() === epoch.root.toLowerCase() && onChain.total === epoch.total) {
        const txHash = await chain.findPostTransaction(epoch.epoch, epoch.fromBlock ?? 0n).catch(() => null);
        journal.markPosted(epoch.epoch, txHash);
        metrics?.reconciled();
        logger.warn(
          { epoch: epoch.epoch, root: epoch.root, txHash },
          `epoch ${epoch.epoch} root was already on chain (posted before a crash or a lost answer): recorded, not posted again`,
        );
        return true;
      }
      this.#halted({ epoch: epoch.epoch, ours: { root: epoch.root, total: epoch.total }, onChain });
      return false;
    } catch (error) {
      metrics?.failed('chain');
      logger.warn({ epoch: epoch.epoch, err: messageOf(error) }, 'posting the epoch root failed; will retry');
      return false;
    }
  }

  /** Brings one epoch's summary onto the HCS topic, sending the same signed transaction until it lands. */
  async #publish(hcs: HcsPublisher, epoch: EpochToPublish): Promise<boolean> {
    const { journal, logger, metrics } = this.#options;
    try {
      let prepared = epoch.prepared;
      if (prepared === null) {
        prepared = await hcs.prepare(
          JSON.stringify({
            type: 'tessera.epoch',
            epoch: epoch.epoch,
            root: epoch.root,
            total: epoch.total.toString(),
            txHash: epoch.txHash,
          }),
        );
        journal.rememberPrepared(epoch.epoch, prepared);
      }
      const outcome = await hcs.submit(prepared);
      if (!outcome.landed) {
        journal.forgetPrepared(epoch.epoch);
        metrics?.failed('hcs');
        logger.warn(
          { epoch: epoch.epoch, transactionId: prepared.transactionId },
          `HCS summary did not land (${outcome.reason}); a new one will be sent`,
        );
        return false;
      }
      this.#crash('after-hcs-post');
      journal.markPublished(epoch.epoch, outcome.sequence);
      logger.info(
        { epoch: epoch.epoch, sequence: outcome.sequence, transactionId: prepared.transactionId },
        `epoch ${epoch.epoch} summary on HCS`,
      );
      return true;
    } catch (error) {
      metrics?.failed('hcs');
      logger.warn(
        { epoch: epoch.epoch, err: messageOf(error) },
        'publishing the epoch summary to HCS failed; will retry with the same transaction',
      );
      return false;
    }
  }

  #halted(halt: SettlementHalt): void {
    const { logger, metrics } = this.#options;
    const isNew = this.#halt?.epoch !== halt.epoch;
    this.#halt = halt;
    metrics?.halted(true);
    if (isNew) metrics?.conflict();
    const now = Date.now();
    if (!isNew && now - this.#haltLoggedAt < (this.#options.haltReminderMs ?? 60_000)) return;
    this.#haltLoggedAt = now;
    logger.error(
      {
        epoch: halt.epoch,
        ourRoot: halt.ours.root,
        ourTotal: halt.ours.total.toString(),
        chainRoot: halt.onChain.root,
        chainTotal: halt.onChain.total.toString(),
      },
      `SETTLEMENT HALTED: the distributor holds another root for epoch ${halt.epoch} than this coordinator closed. ` +
        'Nothing more is posted until an operator resolves it (coordinator/README.md, "Settlement"); credit and proofs are kept.',
    );
  }

  #close(): ClosedEpoch {
    const closed = this.#options.ledger.closeEpoch(this.#options.directory);
    this.#options.logger.info(
      {
        epoch: closed.epoch,
        accounts: closed.accounts,
        total: closed.total.toString(),
        carried: closed.carried.toString(),
        root: closed.root,
      },
      `epoch ${closed.epoch} closed: ${formatAmount(closed.total)} TSRA to ${closed.accounts} account(s)` +
        (closed.carried > 0n ? `, ${formatAmount(closed.carried)} TSRA over new accounts' caps carried to later epochs` : '') +
        (this.#options.chain === undefined ? ' (no chain configured: proofs kept, nothing posted)' : ''),
    );
    return closed;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
