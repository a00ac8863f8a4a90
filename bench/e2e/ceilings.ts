/**
 * Whether the servers cap bench:e2e on this machine, from the CPU each process spent: if OpenSearch,
 * DynamoDB Local, kinesalite and ElasticMQ alone need more CPU per pipeline event than the machine's
 * cores give at half of raw `_bulk`'s rate, no change to the functions, gateways or mappings (their CPU
 * taken as zero) can reach the ratio target here. Raw `_bulk` touches only OpenSearch, so what the other
 * servers spend during a raw round is the pipeline's work still running (rollups behind the indexer)
 * and is charged to the pipeline; OpenSearch's CPU during a raw round is all charged to raw `_bulk`,
 * which can only raise the pipeline's ceiling (the bound errs in the pipeline's favour).
 */
import { availableParallelism } from 'node:os';

/** Process names (`process-cpu.ts`) of the servers, as opposed to the stack's own code and the bench. */
export const SERVERS = [
  'opensearch (java)',
  'dynamodb-local (java)',
  'kinesalite (node)',
  'elasticmq (java)',
];
const OPENSEARCH = 'opensearch (java)';

export interface Ceilings {
  cores: number;
  /** CPU milliseconds per event, by process, over the pipeline rounds and over the raw `_bulk` rounds. */
  cpuMsPerEvent: { pipeline: Record<string, number>; raw: Record<string, number> };
  /** The servers' CPU per pipeline event, the work they did for it during raw rounds included. */
  serversCpuMsPerEvent: number;
  /** Events/s the pipeline could reach if the servers had every core and the rest cost nothing. */
  serversCeilingEventsPerSecond: number;
  /** That ceiling ÷ raw `_bulk`'s median events/s: under 0.5, the servers cap the ratio target. */
  ceilingRatio: number;
  /** OpenSearch's CPU per event through the pipeline ÷ per event of raw `_bulk`. */
  opensearchWorkVsRaw: number;
}

export function ceilings(
  cpu: { pipeline: Record<string, number>; raw: Record<string, number> },
  events: { pipeline: number; raw: number },
  rawMedianEventsPerSecond: number,
  cores = availableParallelism(),
): Ceilings {
  const perEvent = (seconds: Record<string, number>, count: number) =>
    Object.fromEntries(Object.entries(seconds).map(([name, spent]) => [name, (1000 * spent) / count]));
  const pipeline = perEvent(cpu.pipeline, events.pipeline);
  const raw = perEvent(cpu.raw, events.raw);
  const serversCpuMsPerEvent = SERVERS.reduce(
    (sum, name) =>
      sum +
      (1000 * ((cpu.pipeline[name] ?? 0) + (name === OPENSEARCH ? 0 : (cpu.raw[name] ?? 0)))) /
        events.pipeline,
    0,
  );
  const serversCeilingEventsPerSecond = (1000 * cores) / serversCpuMsPerEvent;
  return {
    cores,
    cpuMsPerEvent: { pipeline, raw },
    serversCpuMsPerEvent,
    serversCeilingEventsPerSecond,
    ceilingRatio: serversCeilingEventsPerSecond / rawMedianEventsPerSecond,
    opensearchWorkVsRaw: (pipeline[OPENSEARCH] ?? 0) / (raw[OPENSEARCH] ?? Number.NaN),
  };
}

/** The table bench:e2e prints: CPU per event by process for both subjects, and the ceiling. */
export function ceilingLines(result: Ceilings, rawMedianEventsPerSecond: number): string[] {
  const names = [
    ...new Set([...Object.keys(result.cpuMsPerEvent.pipeline), ...Object.keys(result.cpuMsPerEvent.raw)]),
  ].sort((a, b) => (result.cpuMsPerEvent.pipeline[b] ?? 0) - (result.cpuMsPerEvent.pipeline[a] ?? 0));
  const cell = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(3)).padStart(12);
  return [
    `${'CPU ms per event'.padEnd(50)}${'pipeline'.padStart(12)}${'raw _bulk'.padStart(12)}`,
    ...names.map(
      (name) =>
        `  ${name.padEnd(48)}${cell(result.cpuMsPerEvent.pipeline[name])}${cell(result.cpuMsPerEvent.raw[name])}`,
    ),
    `OpenSearch spent ${result.opensearchWorkVsRaw.toFixed(2)}x as much CPU per event in the pipeline rounds as in the raw _bulk rounds (sharing the cores with every other process; see "OpenSearch alone" for its own share).`,
    `The servers alone (${SERVERS.join(', ')}) need ${result.serversCpuMsPerEvent.toFixed(3)} CPU ms per pipeline event (what DynamoDB Local, kinesalite and ElasticMQ spent during raw rounds included): on ${result.cores} cores the pipeline cannot pass ${result.serversCeilingEventsPerSecond.toFixed(0)} events/s even if the functions, gateways and mappings cost nothing,`,
    `= ${result.ceilingRatio.toFixed(2)} of raw _bulk's median ${rawMedianEventsPerSecond.toFixed(0)} events/s (${result.ceilingRatio < 0.5 ? 'under' : 'not under'} the 0.5 target: ${result.ceilingRatio < 0.5 ? 'the servers cap it on this machine' : 'this run does not prove a cap'}).`,
  ];
}

/**
 * The pipeline's ceiling with OpenSearch charged only its own cost of the indexer's requests (measured
 * with nothing else running, `opensearch-alone.ts`): every other process's CPU per pipeline event as
 * measured, plus OpenSearch at raw `_bulk`'s CPU per event times `indexerVsRaw`. Under 0.5 of raw, the
 * rest of the stack sharing this machine's cores caps the ratio, whatever OpenSearch's contention.
 */
export function ceilingWithOpenSearchAlone(
  result: Ceilings,
  indexerVsRaw: number,
  rawMedianEventsPerSecond: number,
): { cpuMsPerEvent: number; eventsPerSecond: number; ratio: number } {
  const { pipeline, raw } = result.cpuMsPerEvent;
  const others = Object.entries(pipeline)
    .filter(([name]) => name !== OPENSEARCH)
    .reduce((sum, [, ms]) => sum + ms, 0);
  // What the other servers did for the pipeline during raw rounds, as in `ceilings` (both subjects send the same events).
  const behind = SERVERS.filter((name) => name !== OPENSEARCH).reduce(
    (sum, name) => sum + (raw[name] ?? 0),
    0,
  );
  const cpuMsPerEvent = others + behind + (raw[OPENSEARCH] ?? 0) * indexerVsRaw;
  const eventsPerSecond = (1000 * result.cores) / cpuMsPerEvent;
  return { cpuMsPerEvent, eventsPerSecond, ratio: eventsPerSecond / rawMedianEventsPerSecond };
}
