/**
 * The poison account of the chaos test: records put straight on the stream that pass decoding but that
 * OpenSearch refuses (a `properties` leaf over Lucene's 32,766-byte term limit: ingest's 32 KB event limit
 * keeps such an event out, the stored-event limit a consumer re-checks does not), and hostile bodies
 * at ingest, each of which must get a 4xx.
 */
import { randomUUID } from 'node:crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { SentEvent } from '../../cli/load/load-core.js';
import { MAX_EVENT_BYTES } from '../../lambdas/shared/event-limits.js';
import { localKinesis } from '../../local/services/local-clients.js';
import { eventOfSize, invalidUtf8Json, nestedArraysJson, nestedObjects } from '../helpers/hostile-events.js';
import { postRawBody } from '../helpers/ingest-client.js';
import { localStack } from '../helpers/local-stack-client.js';

/** Puts `count` poison records of `accountId` on the stream; resolves with them as sent events. */
export async function putPoisonRecords(accountId: string, count: number, tag: string): Promise<SentEvent[]> {
  const stack = localStack();
  const kinesis = localKinesis(stack.kinesisUrl, { region: stack.region, maxAttempts: 3 });
  try {
    const now = new Date().toISOString();
    const events = Array.from({ length: count }, () => ({
      event_id: `poison-${randomUUID()}`,
      account_id: accountId,
      type: 'page_view',
      timestamp: now,
      received_at: now,
      user_id: 'poisoner',
      properties: { blob: 'x'.repeat(33_000) },
    }));
    const sentAt = Date.now();
    const { Records = [] } = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stack.streamName,
        Records: events.map((event) => ({
          PartitionKey: `${accountId}:${event.event_id}`,
          Data: Buffer.from(JSON.stringify(event)),
        })),
      }),
    );
    const answeredAt = Date.now();
    return events.map((event, index) => ({
      account_id: accountId,
      event_id: event.event_id,
      timestamp: now,
      status: Records[index]?.SequenceNumber && !Records[index]?.ErrorCode ? 'accepted' : 'failed',
      tag,
      sent_at: sentAt,
      answered_at: answeredAt,
    }));
  } finally {
    kinesis.destroy();
  }
}

/** Hostile bodies, each sent with a known event id so reconcile can check it was never stored. */
export function hostileBodies(): { name: string; eventId: string; body: string | Buffer }[] {
  const event = (eventId: string) => ({ event_id: eventId, type: 'page_view', user_id: 'hostile' });
  const id = () => `hostile-${randomUUID()}`;
  const ids = Array.from({ length: 7 }, id);
  return [
    {
      name: 'properties nested 5,000 arrays deep',
      eventId: ids[0] as string,
      body: `{"events":[{"event_id":"${ids[0]}","type":"page_view","properties":{"a":${nestedArraysJson(5_000)}}}]}`,
    },
    {
      name: 'properties nested 17 objects deep',
      eventId: ids[1] as string,
      body: JSON.stringify({ events: [{ ...event(ids[1] as string), properties: nestedObjects(17) }] }),
    },
    {
      name: 'a lone surrogate in user_id',
      eventId: ids[2] as string,
      body: `{"events":[{"event_id":"${ids[2]}","type":"page_view","user_id":"a\\ud800b"}]}`,
    },
    {
      name: 'invalid UTF-8 bytes',
      eventId: ids[3] as string,
      body: invalidUtf8Json(event(ids[3] as string)),
    },
    {
      name: 'an event of 32 KB + 1 byte',
      eventId: ids[4] as string,
      body: JSON.stringify(eventOfSize(MAX_EVENT_BYTES + 1, event(ids[4] as string))),
    },
    {
      name: 'an unknown top-level field',
      eventId: ids[5] as string,
      body: JSON.stringify({ events: [{ ...event(ids[5] as string), surprise: 1 }] }),
    },
    {
      name: '2,000 keys in properties',
      eventId: ids[6] as string,
      body: JSON.stringify({
        events: [
          {
            ...event(ids[6] as string),
            properties: Object.fromEntries(Array.from({ length: 2_000 }, (_, k) => [`k${k}`, k])),
          },
        ],
      }),
    },
  ];
}

/** Posts the hostile bodies as the poison account; resolves with their outcomes (and HTTP statuses). */
export async function postHostileBodies(
  writeKey: string,
  accountId: string,
  tag: string,
): Promise<SentEvent[]> {
  const sent: SentEvent[] = [];
  for (const hostile of hostileBodies()) {
    const sentAt = Date.now();
    const response = await postRawBody(writeKey, hostile.body);
    const accepted = response.status >= 200 && response.status < 300 && response.body?.accepted > 0;
    sent.push({
      account_id: accountId,
      event_id: hostile.eventId,
      timestamp: new Date(sentAt).toISOString(),
      status: accepted ? 'accepted' : response.status >= 500 ? 'failed' : 'rejected',
      tag,
      sent_at: sentAt,
      answered_at: Date.now(),
      http: response.status,
      reason: hostile.name,
    });
  }
  return sent;
}
