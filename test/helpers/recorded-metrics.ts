/**
 * Metrics kept in memory, for unit tests of the cores: `totals` by metric name, `byReason` by
 * `name/reasonCode`, and how often the core flushed.
 */
import type { EventMetrics, MetricName } from '../../lambdas/shared/metrics.js';

export class RecordedMetrics implements EventMetrics {
  readonly totals: Partial<Record<MetricName, number>> = {};
  readonly byReason: Record<string, number> = {};
  flushes = 0;

  count(name: MetricName, value: number, reasonCode?: string): void {
    if (value <= 0) return;
    this.totals[name] = (this.totals[name] ?? 0) + value;
    if (reasonCode !== undefined) {
      const key = `${name}/${reasonCode}`;
      this.byReason[key] = (this.byReason[key] ?? 0) + value;
    }
  }

  flush(): void {
    this.flushes += 1;
  }
}
