/**
 * Log hygiene: whatever fails, the indexer's log lines carry counts, ids and short reasons, never a
 * document, a request body or a client error object that embeds them.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { errors } from '@opensearch-project/opensearch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IndexerDeps, indexRecords } from '../../../lambdas/indexer/indexer-core.js';
import { type CapturedLog, capturedLogger } from '../../helpers/captured-log.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { kinesisEvent, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { indexerDeps } from '../../helpers/indexer-fixtures.js';

const sqs = mockClient(SQSClient);
/** "A few hundred bytes": a line holds a message, counts and a few bounded reasons. */
const MAX_LINE_BYTES = 500;

const deadline = () => Date.parse('2026-01-15T10:30:00.000Z') + 2_000;

function deps(search: FakeOpenSearch, captured: CapturedLog): IndexerDeps {
  return indexerDeps(search, { log: captured.log });
}

/** 500 events of ~1.5 KB: the size of a real batch's bulk body (~750 KB). */
const bigBatch = () =>
  Array.from({ length: 500 }, (_, index) => storedEvent({ properties: { index, text: 'p'.repeat(1_400) } }));

describe('indexer logs', () => {
  let captured: CapturedLog;
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
    captured = capturedLogger();
  });
  afterEach(() => captured.restore());

  it('logs a failed bulk request in a few hundred bytes, without its body', async () => {
    // Prepare: the client's ResponseError carries the response and the whole request body.
    const events = bigBatch();
    const requestBody = events.map((event) => JSON.stringify(event)).join('\n');
    const search = new FakeOpenSearch();
    search.failRequest = (kind) =>
      kind === 'bulk'
        ? new errors.ResponseError({
            body: {
              error: { type: 'es_rejected_execution_exception', reason: 'x'.repeat(5_000) },
              status: 429,
            },
            statusCode: 429,
            headers: {},
            warnings: null,
            meta: { request: { params: { method: 'POST', path: '/_bulk', body: requestBody } } },
          } as never)
        : undefined;

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search, captured), deadline());

    // Assess
    expect(outcome.counts.failed).toBe(500);
    expect(captured.lines.length).toBeGreaterThan(1);
    for (const line of captured.lines) {
      expect(Buffer.byteLength(line)).toBeLessThan(MAX_LINE_BYTES);
      expect(line).not.toContain('pppppppppp');
    }
    const failure = JSON.parse(captured.lines.find((line) => line.includes('"error"')) ?? '{}');
    expect(failure.error).toMatchObject({
      name: 'ResponseError',
      statusCode: 429,
      code: 'es_rejected_execution_exception',
    });
  });

  it('survives and logs briefly an error that carries a deeply nested object', async () => {
    // Prepare: the client's SerializationError keeps the object it could not serialize.
    let deep: unknown = 'leaf';
    for (let level = 0; level < 20_000; level += 1) deep = { deep };
    const search = new FakeOpenSearch();
    search.failRequest = (kind) =>
      kind === 'bulk' ? new errors.SerializationError('Maximum call stack size exceeded', deep) : undefined;

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      deps(search, captured),
      deadline(),
    );

    // Assess: a body the client cannot serialize is the fault of its one event, dead-lettered
    expect(outcome.counts).toMatchObject({ deadLettered: 1, failed: 0 });
    for (const line of captured.lines) expect(Buffer.byteLength(line)).toBeLessThan(MAX_LINE_BYTES);
  });

  it('logs the reasons of dead letters cut short, though OpenSearch quotes the document in them', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failItem = ({ index }) =>
      index.startsWith('events-')
        ? {
            status: 400,
            error: {
              type: 'mapper_parsing_exception',
              reason: `Preview of field's value: '${'q'.repeat(10_000)}'`,
            },
          }
        : undefined;

    // Act
    const outcome = await indexRecords(kinesisEvent(bigBatch()).Records, deps(search, captured), deadline());

    // Assess
    expect(outcome.counts.deadLettered).toBe(500);
    for (const line of captured.lines) expect(Buffer.byteLength(line)).toBeLessThan(MAX_LINE_BYTES);
  });
});
