/**
 * Applying a batch's events to a sink, and finding the event at fault when a request fails as a whole.
 *
 * A sink answers per event. When a request fails as a whole for a reason that may be one event's fault
 * (a `_bulk` body refused as invalid or too large, a DynamoDB ValidationException, an error thrown by
 * the sink that no rule recognises), its events are `group-failed`: they are split in halves and the
 * halves applied again at once, within the deadline, until the event at fault is alone. The halves
 * without it succeed. An event alone whose error is known to be its own is `permanent`; one whose error
 * is unrecognised is handed back as such, and the skeleton decides (`stream-consumer.ts`).
 */
import type { ReasonCode } from './dead-letter.js';
import { errorSummary } from './error-summary.js';
import type { DecodedRecord } from './kinesis-records.js';

/** An event of the batch, decoded, with its place on the stream. */
export type BatchEvent = DecodedRecord;

/** What applying one event came to, as the sink classifies it. */
export type EventOutcome =
  | { kind: 'done' }
  /** Already applied: a redelivery, a client's resend, a later version. */
  | { kind: 'duplicate' }
  /** Can never succeed for this event: dead-letter it now. */
  | { kind: 'permanent'; reasonCode: ReasonCode; reason: string }
  /** The infrastructure failed: retry, then report for redelivery. */
  | { kind: 'transient'; reason: string }
  /**
   * The request holding the event failed as a whole. `eventSpecific`: the error is about some event of
   * the request (so, alone, about this one); otherwise it is unrecognised.
   */
  | { kind: 'group-failed'; reasonCode: ReasonCode; reason: string; eventSpecific: boolean };

/** The part of a sink isolation needs. */
export interface GroupApplier {
  apply(events: BatchEvent[], deadline: number): Promise<EventOutcome[]>;
  classifyThrown?(error: unknown): EventOutcome;
}

export type Failure = { reasonCode: ReasonCode; reason: string };

/** What a pass over the events came to. */
export interface Isolation {
  done: number;
  duplicate: number;
  permanent: [BatchEvent, Failure][];
  transient: [BatchEvent, string][];
  /** Events alone in a request that failed with an error no rule recognises. */
  unrecognised: [BatchEvent, string][];
  /** Requests made (1 when nothing had to be bisected). */
  requests: number;
}

/** Applies `events`, bisecting the groups that fail as a whole, and sorts every event's outcome. */
export async function isolateFailures(
  events: BatchEvent[],
  sink: GroupApplier,
  options: { deadline: number; now: () => number },
): Promise<Isolation> {
  const result: Isolation = {
    done: 0,
    duplicate: 0,
    permanent: [],
    transient: [],
    unrecognised: [],
    requests: 0,
  };
  // Depth first, first half first: the order a shard's events were written in.
  const groups: BatchEvent[][] = events.length > 0 ? [events] : [];
  while (groups.length > 0) {
    const group = groups.shift() as BatchEvent[];
    result.requests += 1;
    const outcomes = await applySafely(group, sink, options.deadline);
    const failed: BatchEvent[] = [];
    let failure: Extract<EventOutcome, { kind: 'group-failed' }> | undefined;
    group.forEach((event, position) => {
      const outcome = outcomes[position] ?? {
        kind: 'transient',
        reason: 'the sink gave no outcome for the event',
      };
      switch (outcome.kind) {
        case 'done':
          result.done += 1;
          break;
        case 'duplicate':
          result.duplicate += 1;
          break;
        case 'permanent':
          result.permanent.push([event, { reasonCode: outcome.reasonCode, reason: outcome.reason }]);
          break;
        case 'transient':
          result.transient.push([event, outcome.reason]);
          break;
        case 'group-failed':
          failed.push(event);
          failure = outcome;
          break;
      }
    });
    if (!failure) continue;
    if (failed.length === 1) {
      const [event] = failed as [BatchEvent];
      if (failure.eventSpecific) result.permanent.push([event, failure]);
      else result.unrecognised.push([event, failure.reason]);
    } else if (options.now() < options.deadline) {
      const middle = Math.ceil(failed.length / 2);
      groups.unshift(failed.slice(0, middle), failed.slice(middle));
    } else {
      for (const event of failed)
        result.transient.push([event, `${failure.reason} (not isolated before the deadline)`]);
    }
  }
  return result;
}

async function applySafely(
  group: BatchEvent[],
  sink: GroupApplier,
  deadline: number,
): Promise<EventOutcome[]> {
  try {
    return await sink.apply(group, deadline);
  } catch (error) {
    const outcome = sink.classifyThrown?.(error) ?? unrecognisedThrow(error);
    return group.map(() => outcome);
  }
}

/** An error thrown by a sink that classifies nothing itself: maybe one event's fault, maybe a bug. */
export function unrecognisedThrow(error: unknown): EventOutcome {
  const { name, message } = errorSummary(error);
  return {
    kind: 'group-failed',
    reasonCode: 'unrecognised-error',
    reason: `${name}: ${message}`,
    eventSpecific: false,
  };
}
