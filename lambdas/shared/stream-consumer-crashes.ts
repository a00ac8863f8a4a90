/**
 * The last rule of "poison never holds a shard" (docs/decisions.md): a record that crashes the function
 * in a way it cannot catch (the process killed, out of memory, a timeout). The mapping bisects the
 * batch until that record is alone, then retries it forever (`MaximumRetryAttempts` -1), holding its
 * shard. Nothing the function remembers survives a crash, so the sink keeps a small journal in its own
 * store: a record that comes alone and old is noted before it is applied and cleared after, whatever
 * came of it. A record noted more than `MAX_CRASHES` times without being cleared crashed the function
 * each time; it is dead-lettered without being applied again. The journal write succeeding is the
 * evidence that the sink is healthy; when it fails, the record is applied as usual.
 *
 * Cost: nothing for batches of more than one record, or of a record younger than `SUSPECT_AFTER_MS`
 * (a crash loop is bisected down to one record within seconds, then ages); two small writes per
 * invocation otherwise.
 */
import { errorSummary } from './error-summary.js';
import type { Log } from './logger.js';
import type { BatchEvent } from './stream-consumer-isolation.js';

/** A sink's journal of records the function started on and did not finish. */
export interface CrashJournal {
  /** Notes a start on the record; returns how many starts are noted without an end, this one included. */
  begin(event: BatchEvent, deadline: number): Promise<number>;
  /** Clears the record's starts: the function finished with it. */
  end(event: BatchEvent, deadline: number): Promise<void>;
}

/** A record alone in its batch is suspect once this old. */
export const SUSPECT_AFTER_MS = 2 * 60 * 1000;
/** Crashes on one record before the function stops applying it. */
export const MAX_CRASHES = 3;

export interface CrashCheck {
  /** The record to dead-letter instead of applying, with why. */
  poison?: { event: BatchEvent; reason: string };
  /** To call when the batch is done with, whatever came of it. */
  finished(): Promise<void>;
}

const nothingToFinish = async () => undefined;

/** Notes a suspect record in the journal; says whether it crashed the function too often already. */
export async function checkForCrashes(
  events: BatchEvent[],
  records: number,
  journal: CrashJournal | undefined,
  options: { now: number; deadline: number; log: Log },
): Promise<CrashCheck> {
  const [event] = events;
  if (!journal || records !== 1 || !event || options.now - event.arrivedAt < SUSPECT_AFTER_MS) {
    return { finished: nothingToFinish };
  }
  let starts: number;
  try {
    starts = await journal.begin(event, options.deadline);
  } catch (error) {
    options.log.warn('crash journal not written, applying the record as usual', {
      error: errorSummary(error),
    });
    return { finished: nothingToFinish };
  }
  const finished = async () => {
    try {
      await journal.end(event, options.deadline);
    } catch (error) {
      options.log.warn('crash journal not cleared', { recordId: event.recordId, error: errorSummary(error) });
    }
  };
  const crashes = starts - 1;
  if (crashes < MAX_CRASHES) return { finished };
  options.log.error('record crashed the function repeatedly, dead-lettering it', {
    recordId: event.recordId,
    crashes,
  });
  return {
    poison: {
      event,
      reason: `the function crashed or timed out on this record ${crashes} times in a row (it came alone, ${Math.round((options.now - event.arrivedAt) / 1000)} s old), while its sink answered`,
    },
    finished,
  };
}
