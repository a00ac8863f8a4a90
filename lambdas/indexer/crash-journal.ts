/**
 * The indexer's crash journal (`../shared/stream-consumer-crashes.ts`): one small document per suspect
 * record in `<prefix>_crashes` (outside the `<prefix>-*` indices that searches read), holding how many
 * times the function started on the record without finishing. Read with a realtime `_mget`, written and
 * cleared with `_bulk`: a shard has one batch in flight, so the read-then-write cannot race.
 */
import type { CrashJournal } from '../shared/stream-consumer-crashes.js';
import type { RequestOptions, SearchApi } from './search-api.js';

const REQUEST_TIMEOUT_MS = 5_000;
/**
 * The clear runs after the batch, which may have used its time up to the deadline (a write that waited
 * on the index until then): it may use this much of the 5 s the handler keeps back to answer. Bound by
 * the deadline alone, it got 1 ms, failed, and left the start noted as if the function had crashed:
 * after three such invocations a record that only waited on a slow index was dead-lettered.
 */
const CLEAR_AFTER_DEADLINE_MS = 2_000;

export function crashJournalIndex(prefix: string): string {
  return `${prefix}_crashes`;
}

/** The journal in the indexer's own OpenSearch domain. */
export function openSearchCrashJournal(search: SearchApi, prefix: string, now: () => number): CrashJournal {
  const index = crashJournalIndex(prefix);
  const options = (deadline: number): RequestOptions => ({
    requestTimeout: Math.max(1, Math.min(REQUEST_TIMEOUT_MS, deadline - now())),
    maxRetries: 0,
  });
  const succeeded = (item: { status: number } | undefined) =>
    item !== undefined && item.status >= 200 && item.status < 300;
  return {
    async begin(event, deadline) {
      const { body } = await search.mget(
        { body: { docs: [{ _index: index, _id: event.recordId }] } },
        options(deadline),
      );
      const [doc] = body.docs;
      if (doc?.error && doc.error.type !== 'index_not_found_exception') {
        throw new Error(`crash journal not read: ${doc.error.type}`);
      }
      const starts = (doc?.found ? Number(doc._source?.starts ?? 0) : 0) + 1;
      const written = await search.bulk(
        {
          body: [
            { index: { _index: index, _id: event.recordId } },
            { starts, account_id: event.event.account_id },
          ],
        },
        options(deadline),
      );
      if (!succeeded(written.body.items?.[0]?.index)) throw new Error('crash journal not written');
      return starts;
    },
    async end(event, deadline) {
      const cleared = await search.bulk(
        { body: [{ delete: { _index: index, _id: event.recordId } }] },
        options(deadline + CLEAR_AFTER_DEADLINE_MS),
      );
      const item = cleared.body.items?.[0]?.delete;
      if (!succeeded(item) && item?.status !== 404) throw new Error('crash journal not cleared');
    },
  };
}
