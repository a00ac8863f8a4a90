/** The benchmark's table and the targets of issue 7, checked. */

export interface Row {
  window: string;
  events: number;
  /** Warm: the stats function's cache of decoded sub-items (validated by version) in use. */
  rollupP50: number;
  rollupP99: number;
  /** Cold: every sub-item read and decoded on every request. */
  rollupColdP50: number;
  rollupColdP99: number;
  postgresP50: number;
  postgresP99: number;
  totalRollup: number;
  totalExact: number;
  totalPostgres: number;
  uniquesError: number;
  uniquesExact: number;
  usersRecall: number;
  pathsRecall: number;
}

const ms = (value: number) => value.toFixed(1).padStart(7);
const times = (value: number) => `${value.toFixed(1)}x`.padStart(7);

/** Prints the table; returns the targets and whether each is met. */
export function printTable(rows: Row[], sizes: number[], uniquesBound: number) {
  console.log(
    `\n${'window'.padEnd(9)}${'events'.padStart(8)} | rollup p50/p99 ms | cold p50/p99 ms | PostgreSQL p50/p99 ms | PG/rollup  cold | totals | uniques err | top-10 users/paths`,
  );
  for (const row of rows) {
    const totals = row.totalRollup === row.totalExact && row.totalPostgres === row.totalExact;
    console.log(
      [
        `${row.window.padEnd(9)}${String(row.events).padStart(8)}`,
        `${ms(row.rollupP50)} ${ms(row.rollupP99)}  `,
        `${ms(row.rollupColdP50)} ${ms(row.rollupColdP99)}`,
        `${ms(row.postgresP50)} ${ms(row.postgresP99)}        `,
        `${times(row.postgresP50 / row.rollupP50)} ${times(row.postgresP50 / row.rollupColdP50)}`,
        `${totals ? 'exact' : 'WRONG'} `,
        `${(row.uniquesError * 100).toFixed(2).padStart(8)} %  `,
        `${row.usersRecall.toFixed(1)} / ${row.pathsRecall.toFixed(1)}`,
      ].join(' | '),
    );
  }
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  const at = (window: string, events: number) =>
    rows.find((row) => row.window === window && row.events === events);
  const speedup = (window: string) => {
    const row = at(window, largest);
    const warm = row ? row.postgresP50 / row.rollupP50 : 0;
    const cold = row ? row.postgresP50 / row.rollupColdP50 : 0;
    return { warm, cold, met: warm >= 20, coldMet: cold >= 20 };
  };
  const growth = (window: string) => {
    const [big, small] = [at(window, largest), at(window, smallest)];
    const warm = big && small ? big.rollupP50 / small.rollupP50 : 0;
    const cold = big && small ? big.rollupColdP50 / small.rollupColdP50 : 0;
    return { warm, cold, met: warm <= 1.5, coldMet: cold <= 1.5 };
  };
  const targets = {
    speedupAtLargest: Object.fromEntries(['last_30d', 'all'].map((window) => [window, speedup(window)])),
    rollupGrowth: Object.fromEntries(
      ['last_24h', 'last_7d', 'last_30d', 'all'].map((window) => [window, growth(window)]),
    ),
    uniquesWithinBound: rows.every((row) => Math.abs(row.uniquesError) <= uniquesBound),
    top10Exact: rows.every((row) => row.usersRecall === 1 && row.pathsRecall === 1),
    totalsExact: rows.every(
      (row) => row.totalRollup === row.totalExact && row.totalPostgres === row.totalExact,
    ),
  };
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  console.log(`\nPostgreSQL p50 / rollup p50 at ${largest} events (target >= 20x):`);
  for (const [window, r] of Object.entries(targets.speedupAtLargest)) {
    console.log(
      `  ${window}: warm ${r.warm.toFixed(1)}x ${verdict(r.met)}, cold ${r.cold.toFixed(1)}x ${verdict(r.coldMet)}`,
    );
  }
  console.log(`rollup p50 growth ${smallest} -> ${largest} events (target <= 1.5x):`);
  for (const [window, r] of Object.entries(targets.rollupGrowth)) {
    console.log(
      `  ${window}: warm ${r.warm.toFixed(2)}x ${verdict(r.met)}, cold ${r.cold.toFixed(2)}x ${verdict(r.coldMet)}`,
    );
  }
  console.log(`unique users within ±${uniquesBound * 100} %: ${targets.uniquesWithinBound}`);
  console.log(`top-10 users and paths exact: ${targets.top10Exact}`);
  console.log(`totals exact (rollup and PostgreSQL): ${targets.totalsExact}`);
  return { targets };
}
