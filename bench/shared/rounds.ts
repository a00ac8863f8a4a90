/**
 * What the benchmarks share: interleaved rounds (every subject once per round, one after the other, so
 * the load of this shared machine falls on all alike), their min/median/percentiles, and the JSON
 * result file under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const median = (samples: number[]): number => percentile(samples, 50);

/** One subject's time in one round: wall clock, and this process's CPU (user + system). */
export interface Timing {
  ms: number;
  cpuMs: number;
}

/**
 * Runs `subjects` in `rounds` interleaved rounds after `warmup` untimed ones. Wall time counts what
 * clients see; CPU time is what a loaded machine (waiting for a core) does not inflate.
 */
export async function interleaved<Name extends string>(
  subjects: Record<Name, () => Promise<void> | void>,
  rounds: number,
  warmup = 1,
  onRound: (round: number, timings: Record<Name, Timing>) => void = () => {},
): Promise<Record<Name, Timing[]>> {
  const names = Object.keys(subjects) as Name[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as Timing[]])) as Record<Name, Timing[]>;
  for (let round = -warmup; round < rounds; round += 1) {
    const timings = {} as Record<Name, Timing>;
    for (const name of names) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await subjects[name]();
      const spent = process.cpuUsage(cpu);
      timings[name] = { ms: performance.now() - started, cpuMs: (spent.user + spent.system) / 1000 };
      if (round >= 0) samples[name].push(timings[name]);
    }
    if (round >= 0) onRound(round, timings);
  }
  return samples;
}

/** Writes `bench/results/<name>-<time>.json`; returns its path. */
export function writeResult(name: string, at: Date, result: unknown): string {
  const dir = join(import.meta.dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${at.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
