/**
 * The events of a run, read from a file: the JSON lines `pipeline load` writes (account, id, timestamp,
 * outcome, tag), or plain lines of ids (`<account id> <event id>`, or `<event id>` with `--account`),
 * which count as accepted.
 */
import { eventKey } from '../../lambdas/shared/event-schema.js';
import type { SentEvent } from '../load/load-core.js';

export type RunStatus = SentEvent['status'];

/** One event of a run, as reconcile checks it. */
export interface RunEvent {
  accountId: string;
  eventId: string;
  key: string;
  status: RunStatus;
  tag: string;
  timestamp?: string;
  /** When the client had its answer, epoch ms (load files only). */
  answeredAt?: number;
}

export const UNTAGGED = 'all';

/** Parses a run file; throws naming the first line it cannot read. */
export function parseRunFile(text: string, defaultAccount?: string): RunEvent[] {
  const events: RunEvent[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const event = line.startsWith('{') ? fromJson(line) : fromText(line, defaultAccount);
    if (!event) {
      throw new Error(
        `line ${index + 1} is neither a load result nor "<account id> <event id>"${defaultAccount ? '' : ' (or pass --account for lines of bare event ids)'}: ${line.slice(0, 80)}`,
      );
    }
    events.push(event);
  });
  return events;
}

function fromJson(line: string): RunEvent | undefined {
  let value: Partial<SentEvent>;
  try {
    value = JSON.parse(line) as Partial<SentEvent>;
  } catch {
    return undefined;
  }
  if (typeof value.account_id !== 'string' || typeof value.event_id !== 'string') return undefined;
  const status: RunStatus =
    value.status === 'rejected' || value.status === 'failed' ? value.status : 'accepted';
  return {
    accountId: value.account_id,
    eventId: value.event_id,
    key: eventKey({ account_id: value.account_id, event_id: value.event_id }),
    status,
    tag: value.tag ?? UNTAGGED,
    ...(typeof value.timestamp === 'string' ? { timestamp: value.timestamp } : {}),
    ...(typeof value.answered_at === 'number' ? { answeredAt: value.answered_at } : {}),
  };
}

function fromText(line: string, defaultAccount: string | undefined): RunEvent | undefined {
  const parts = line.split(/\s+/);
  const [accountId, eventId] =
    parts.length === 2 ? parts : defaultAccount && parts.length === 1 ? [defaultAccount, parts[0]] : [];
  if (!accountId || !eventId) return undefined;
  return {
    accountId,
    eventId,
    key: eventKey({ account_id: accountId, event_id: eventId }),
    status: 'accepted',
    tag: UNTAGGED,
  };
}
