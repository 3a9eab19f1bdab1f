import type { FastifyBaseLogger } from 'fastify';
import { formatAmount } from '@tessera/shared';
import type { AccountDirectory } from './account-directory.ts';
import type { HcsPublisher } from './hcs-publisher.ts';
import type { ClosedEpoch, Ledger } from './ledger.ts';
import type { RewardChain } from './reward-chain.ts';

export interface EpochSettlerOptions {
  ledger: Ledger;
  directory: AccountDirectory;
  /** Absent when no chain is configured: epochs close and keep their proofs, nothing is posted. */
  chain: RewardChain | undefined;
  hcs: HcsPublisher;
  logger: FastifyBaseLogger;
  intervalMs: number;
}

/**
 * Closes epochs when they end and brings their roots on chain: post the Merkle root to the
 * distributor, then the summary to the HCS topic. A failed post is retried on the next tick and after a
 * restart (the ledger remembers which roots are not on chain yet).
 */
export class EpochSettler {
  readonly #options: EpochSettlerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: EpochSettlerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Closes the open epoch now, whatever its end time (operators, tests), then settles. */
  async closeNow(): Promise<ClosedEpoch> {
    await this.#running;
    const closed = this.#close();
    await this.tick();
    return closed;
  }

  /** One pass: close a due epoch, post what is not on chain. Never runs twice at once. */
  tick(): Promise<void> {
    this.#running ??= this.#settle().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #settle(): Promise<void> {
    const { ledger, chain, logger } = this.#options;
    if (ledger.epochDue()) this.#close();
    for (const epoch of ledger.unpostedEpochs()) {
      if (chain === undefined) break;
      try {
        const txHash = await chain.postEpoch(epoch.epoch, epoch.root, epoch.total);
        ledger.markPosted(epoch.epoch, txHash);
        logger.info({ epoch: epoch.epoch, root: epoch.root, txHash }, `epoch ${epoch.epoch} root on chain`);
        const sequence = await this.#options.hcs.publish(
          JSON.stringify({ type: 'tessera.epoch', epoch: epoch.epoch, root: epoch.root, total: epoch.total.toString(), txHash }),
        );
        if (sequence !== null) ledger.markPublished(epoch.epoch, sequence);
      } catch (error) {
        logger.warn(
          { epoch: epoch.epoch, err: error instanceof Error ? error.message : String(error) },
          'posting the epoch root failed; will retry',
        );
        return;
      }
    }
  }

  #close(): ClosedEpoch {
    const closed = this.#options.ledger.closeEpoch(this.#options.directory);
    this.#options.logger.info(
      { epoch: closed.epoch, accounts: closed.accounts, total: closed.total.toString(), root: closed.root },
      `epoch ${closed.epoch} closed: ${formatAmount(closed.total)} TSRA to ${closed.accounts} account(s)${this.#options.chain === undefined ? ' (no chain configured: proofs kept, nothing posted)' : ''}`,
    );
    return closed;
  }
}
