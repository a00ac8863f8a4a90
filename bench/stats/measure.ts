/**
 * Interleaved timing: every round asks every (window, dataset) once through the warm rollup path, the
 * cold rollup path and PostgreSQL, one after the other, so machine load (this box is shared) falls on
 * all three alike. Two untimed rounds warm every path first.
 */
import type { Summary } from '../../lambdas/stats/summary-core.js';
import { type Dataset, exactSummary } from './dataset.js';
import type { PgSummary } from './postgres-model.js';
import type { Row } from './report.js';

export interface Subject {
  window: string;
  dataset: Dataset;
  warm: () => Promise<Summary>;
  cold: () => Promise<Summary>;
  sql: (from: string) => Promise<PgSummary>;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Share of the rollup's top 10 that are in the exact top 10 (ties at the 10th count count as in). */
function recall(reported: string[], exact: Map<string, number>): number {
  const tenth = [...exact.values()].sort((a, b) => b - a)[9] ?? 0;
  return (
    reported.slice(0, 10).filter((key) => (exact.get(key) ?? 0) >= tenth).length / Math.min(10, exact.size)
  );
}

export async function measure(subjects: Subject[], iterations: number): Promise<Row[]> {
  const samples = subjects.map(() => ({ warm: [] as number[], cold: [] as number[], sql: [] as number[] }));
  const last = new Map<Subject, { summary: Summary; sql: PgSummary }>();
  for (let round = -2; round < iterations; round += 1) {
    for (const [index, subject] of subjects.entries()) {
      const warm = await timed(subject.warm);
      const cold = await timed(subject.cold);
      if (cold.value.total_events !== warm.value.total_events)
        throw new Error('cold and warm answers differ');
      const sql = await timed(() => subject.sql(warm.value.from));
      last.set(subject, { summary: warm.value, sql: sql.value });
      if (round < 0) continue;
      samples[index]?.warm.push(warm.ms);
      samples[index]?.cold.push(cold.ms);
      samples[index]?.sql.push(sql.ms);
    }
  }
  return subjects.map((subject, index) => {
    const { summary, sql } = last.get(subject) as { summary: Summary; sql: PgSummary };
    const timing = samples[index] as { warm: number[]; cold: number[]; sql: number[] };
    const exact = exactSummary(subject.dataset, Date.parse(summary.from));
    return {
      window: subject.window,
      events: subject.dataset.events.length,
      rollupP50: percentile(timing.warm, 50),
      rollupP99: percentile(timing.warm, 99),
      rollupColdP50: percentile(timing.cold, 50),
      rollupColdP99: percentile(timing.cold, 99),
      postgresP50: percentile(timing.sql, 50),
      postgresP99: percentile(timing.sql, 99),
      totalRollup: summary.total_events,
      totalExact: exact.total,
      totalPostgres: sql.total,
      uniquesError: (summary.unique_users - exact.uniqueUsers) / exact.uniqueUsers,
      uniquesExact: exact.uniqueUsers,
      usersRecall: recall(
        summary.top_users.map((entry) => entry.user_id),
        exact.users,
      ),
      pathsRecall: recall(
        summary.top_paths.map((entry) => entry.path),
        exact.paths,
      ),
    };
  });
}
