/** The bench:live table, and the targets of issue 9 checked against the local stack's result. */
import type { PhaseResult } from './workload.js';

export interface TargetResult {
  name: string;
  paced: PhaseResult;
  burst: PhaseResult;
}

export interface TargetCheck {
  target: string;
  value: number;
  limit: number;
  met: boolean;
}

/** p50 < 300 ms and p99 < 1 s POST-accepted -> frame-received, and every event at every viewer. */
export function targetsMet(stack: TargetResult): TargetCheck[] {
  const missing = stack.paced.missing + stack.burst.missing;
  return [
    {
      target: 'p50 latency ms',
      value: stack.paced.latency.p50,
      limit: 300,
      met: stack.paced.latency.p50 < 300,
    },
    {
      target: 'p99 latency ms',
      value: stack.paced.latency.p99,
      limit: 1000,
      met: stack.paced.latency.p99 < 1000,
    },
    { target: 'receipts missing', value: missing, limit: 0, met: missing === 0 },
  ];
}

const num = (value: number, width: number, digits = 0) => value.toFixed(digits).padStart(width);

export function printTable(results: TargetResult[], targets: TargetCheck[]): void {
  console.log(
    `\n${'target'.padEnd(22)} | paced: events  p50 ms  p99 ms  max ms  missing  frames/s | burst: events  missing  frames/s  deliveries/s  p50 ms  p99 ms`,
  );
  for (const { name, paced, burst } of results) {
    console.log(
      [
        name.padEnd(22),
        `${num(paced.events, 13)} ${num(paced.latency.p50, 7)} ${num(paced.latency.p99, 7)} ${num(paced.latency.max, 7)} ${num(paced.missing, 8)} ${num(paced.framesPerSecond, 9)}`,
        `${num(burst.events, 13)} ${num(burst.missing, 8)} ${num(burst.framesPerSecond, 9)} ${num(burst.deliveriesPerSecond, 13)} ${num(burst.latency.p50, 7)} ${num(burst.latency.p99, 7)}`,
      ].join(' | '),
    );
  }
  console.log('\ntargets (local stack):');
  for (const target of targets) {
    console.log(
      `  ${target.met ? 'met   ' : 'MISSED'} ${target.target}: ${num(target.value, 0, 1)} (limit ${target.limit})`,
    );
  }
}
