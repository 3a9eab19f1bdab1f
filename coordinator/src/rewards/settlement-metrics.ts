import { Counter, Gauge, type Registry } from 'prom-client';

/** Settlement's Prometheus metrics, in the app's registry. `tessera_settlement_halted` is the one to alert on. */
export class SettlementMetrics {
  readonly #halted: Gauge;
  readonly #conflicts: Counter;
  readonly #failures: Counter<'step'>;
  readonly #reconciled: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#halted = new Gauge({
      name: 'tessera_settlement_halted',
      help: '1 while settlement is stopped because the chain holds a different root for an epoch than the coordinator',
      registers,
    });
    this.#conflicts = new Counter({
      name: 'tessera_settlement_root_conflicts_total',
      help: 'Times the chain was found holding a different root or total for an epoch than the coordinator',
      registers,
    });
    this.#failures = new Counter({
      name: 'tessera_settlement_failures_total',
      help: 'Settlement steps that failed and will be retried',
      labelNames: ['step'],
      registers,
    });
    this.#reconciled = new Counter({
      name: 'tessera_settlement_reconciled_total',
      help: 'Epoch roots found already on chain (a post whose record was lost) and recorded',
      registers,
    });
  }

  halted(isHalted: boolean): void {
    this.#halted.set(isHalted ? 1 : 0);
  }

  conflict(): void {
    this.#conflicts.inc();
  }

  failed(step: 'chain' | 'hcs'): void {
    this.#failures.inc({ step });
  }

  reconciled(): void {
    this.#reconciled.inc();
  }
}
