/**
 * `dead-letters redrive`: decides per event (`redrive-plan.ts`) from what the sinks hold, prepares the
 * rollup writer's dedupe marker where the plan says so, puts one copy per event back on the stream
 * with its original partition key, and deletes a letter only once every event it names is resolved:
 * its copy acknowledged by Kinesis, or already indexed and counted. Everything else stays in the queue.
 */
import { OPENSEARCH } from '../../lib/topology.js';
import type { Output } from '../output.js';
import { claimMarker, documentsOf, type EventRef, extendMarker, markersOf } from '../sink-state.js';
import type { Target } from '../target.js';
import type { Letter } from './letters.js';
import type { HeldQueue } from './queue.js';
import { type Cases, gatherCases, type RedriveCase, type Selection } from './redrive-cases.js';
import { type Decision, decide, type SinkFacts } from './redrive-plan.js';
import { type Copy, putCopies } from './stream-writer.js';

/** What became of one selected letter. */
export interface LetterOutcome {
  id: string;
  source: string;
  reasonCode: string;
  outcome: 'redriven' | 'duplicate' | 'kept' | 'failed';
  detail: string;
}

export interface RedriveReport {
  dryRun: boolean;
  events: { redriven: number; duplicates: number; refused: number; failed: number };
  letters: LetterOutcome[];
  decisions: { key: string; action: Decision['action'] | 'failed'; why: string }[];
}

export interface RedriveOptions {
  dryRun: boolean;
  now: number;
  /** Time allowed for PutRecords retries. */
  budgetMs?: number;
}

const PUT_BUDGET_MS = 60_000;

/** Redrives the selected letters of `held`; deletes the resolved ones from the queue (not on a dry run). */
export async function redrive(
  target: Target,
  held: HeldQueue,
  letters: Letter[],
  selection: Selection,
  options: RedriveOptions,
  output: Output,
): Promise<RedriveReport> {
  const { kinesis, dynamo, opensearch, resources } = target;
  const gathered = await gatherCases(letters, selection, { kinesis, streamName: resources.streamName });
  const cases = [...gathered.cases.values()];
  const refs: EventRef[] = cases.map((item) => ({
    accountId: item.event.account_id,
    eventId: item.event.event_id,
    key: item.key,
  }));
  const documents = await documentsOf(
    opensearch,
    OPENSEARCH.eventsIndexPrefix,
    refs.map((ref) => ref.key),
    output.progress('documents read'),
  );
  const markers = await markersOf(dynamo, resources.rollupsTableName, refs);

  const outcomes = new Map<string, { action: Decision['action'] | 'failed'; why: string }>();
  const copies: Copy[] = gathered.raw.map(({ id, data, partitionKey }) => ({ id, data, partitionKey }));
  for (const item of cases) {
    const facts: SinkFacts = {
      documents: (documents.get(item.key) ?? []).map((document) => document.index),
      ...(markers.has(item.key) ? { marker: markers.get(item.key) } : {}),
    };
    const decision = decide(item, facts, options.now);
    outcomes.set(item.key, decision);
    if (decision.action !== 'redrive' || options.dryRun) continue;
    const prepared = await prepareMarker(target, item, decision, options.now);
    if (prepared) copies.push({ id: item.key, data: item.data, partitionKey: item.partitionKey });
    else
      outcomes.set(item.key, {
        action: 'failed',
        why: 'the dedupe marker changed while preparing; run the redrive again',
      });
  }

  const put = options.dryRun
    ? { acknowledged: new Map<string, string>(), failed: new Map<string, string>() }
    : await putCopies(kinesis, resources.streamName, copies, {
        budgetMs: options.budgetMs ?? PUT_BUDGET_MS,
        progress: output.progress('records put on the stream'),
      });
  for (const [id, why] of put.failed)
    outcomes.set(id, { action: 'failed', why: `not acknowledged by Kinesis: ${why}` });

  const letterOutcomes = resolveLetters(letters, gathered, outcomes, options.dryRun);
  if (!options.dryRun) {
    const resolved = letterOutcomes.filter(
      (letter) => letter.outcome === 'redriven' || letter.outcome === 'duplicate',
    );
    const notDeleted = new Set(await held.remove(resolved.map((letter) => letter.id)));
    for (const letter of resolved) {
      if (notDeleted.has(letter.id)) {
        letter.outcome = 'failed';
        letter.detail = `${letter.detail}; but the letter could not be deleted (a second redrive is harmless)`;
      }
    }
  }
  const count = (action: string) =>
    [...outcomes.values()].filter((outcome) => outcome.action === action).length;
  return {
    dryRun: options.dryRun,
    events: {
      redriven: count('redrive') + gathered.raw.filter((copy) => !put.failed.has(copy.id)).length,
      duplicates: count('done'),
      refused: count('refuse'),
      failed: count('failed'),
    },
    letters: letterOutcomes,
    decisions: [...outcomes].map(([key, outcome]) => ({ key, ...outcome })),
  };
}

/** Claims or extends the event's marker as the plan says; false when it changed meanwhile. */
async function prepareMarker(
  target: Target,
  item: RedriveCase,
  decision: Decision,
  now: number,
): Promise<boolean> {
  if (decision.action !== 'redrive') return true;
  const table = target.resources.rollupsTableName;
  const ref = { accountId: item.event.account_id, eventId: item.event.event_id, key: item.key };
  if (decision.extend) return extendMarker(target.dynamo, table, ref, decision.extend, now);
  // A marker that appeared meanwhile blocks the copy just as well.
  if (decision.block) await claimMarker(target.dynamo, table, ref, `redrive:${now}`, now);
  return true;
}

function resolveLetters(
  letters: Letter[],
  gathered: Cases,
  outcomes: Map<string, { action: string; why: string }>,
  dryRun: boolean,
): LetterOutcome[] {
  const byId = new Map(letters.map((letter) => [letter.id, letter]));
  // Letters of a selected event that were not selected themselves are resolved by its copy too.
  const notes = new Map(gathered.notes.map((note) => [note.letterId, note]));
  for (const item of gathered.cases.values()) {
    for (const id of item.letterIds) if (!notes.has(id)) notes.set(id, { letterId: id, needs: [item.key] });
  }
  return [...notes.values()].map((note) => {
    const letter = byId.get(note.letterId) as Letter;
    const base = { id: letter.id, source: letter.source, reasonCode: letter.reasonCode };
    if (note.refused) return { ...base, outcome: 'kept' as const, detail: note.refused };
    const states = note.needs.map((id) => outcomes.get(id) ?? { action: 'redrive', why: 'raw record' });
    const blocking = states.find((state) => state.action === 'refuse' || state.action === 'failed');
    if (blocking) {
      return {
        ...base,
        outcome: blocking.action === 'failed' ? ('failed' as const) : ('kept' as const),
        detail: blocking.why,
      };
    }
    const redriven = states.filter((state) => state.action === 'redrive').length;
    const verb = dryRun ? 'would put' : 'put';
    return redriven > 0
      ? {
          ...base,
          outcome: 'redriven' as const,
          detail: `${verb} ${redriven} record(s) back on the stream (${states.find((s) => s.action === 'redrive')?.why})`,
        }
      : { ...base, outcome: 'duplicate' as const, detail: states[0]?.why ?? 'nothing to redrive' };
  });
}
