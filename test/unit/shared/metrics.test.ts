/**
 * The metrics module writes CloudWatch EMF through Powertools: one line per flush with every count of
 * the invocation, and one more line per reason code, so the local function log shows them readably and
 * CloudWatch extracts totals (what the alarms read) and counts by reason.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  countAdmission,
  PowertoolsEventMetrics,
  rejectionReasonCode,
} from '../../../lambdas/shared/metrics.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const written: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  written.length = 0;
});

function capture(): void {
  // The unit project disables Powertools metrics for every other test.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
}

const emf = () => written.map((line) => JSON.parse(line));

describe('PowertoolsEventMetrics', () => {
  it('flushes the counts of an invocation in one EMF line, and each reason in a line of its own', () => {
    // Prepare
    capture();
    const metrics = new PowertoolsEventMetrics(new Metrics({ namespace: 'Test', serviceName: 'indexer' }));

    // Act
    metrics.count('EventsIndexed', 498);
    metrics.count('EventsDeadLettered', 1, 'document-rejected');
    metrics.count('EventsDeadLettered', 1, 'undecodable');
    metrics.count('EventsFailed', 0);
    metrics.flush();

    // Assess
    const [totals, ...byReason] = emf();
    expect(written).toHaveLength(3);
    expect(totals).toMatchObject({ service: 'indexer', EventsIndexed: 498, EventsDeadLettered: 2 });
    expect(totals.EventsFailed).toBeUndefined();
    expect(totals._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Test', Dimensions: [['service']] });
    expect(byReason).toEqual([
      expect.objectContaining({ service: 'indexer', reasonCode: 'document-rejected', EventsDeadLettered: 1 }),
      expect.objectContaining({ service: 'indexer', reasonCode: 'undecodable', EventsDeadLettered: 1 }),
    ]);
    expect(byReason[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'reasonCode']]);
  });

  it('writes nothing for an invocation that counted nothing, and starts afresh after a flush', () => {
    // Prepare
    capture();
    const metrics = new PowertoolsEventMetrics(new Metrics({ namespace: 'Test', serviceName: 'indexer' }));
    metrics.count('EventsIndexed', 3);
    metrics.flush();
    written.length = 0;

    // Act
    metrics.flush();

    // Assess
    expect(written).toEqual([]);
  });

  it('counts ingest refusals by a stable code: too-large, or the field at fault', () => {
    // Prepare
    const metrics = new RecordedMetrics();

    // Act
    countAdmission(metrics, {
      accepted: 7,
      rejected: [
        {
          errors: [
            { path: '', message: 'event is 40000 bytes serialized, over the 32 KB limit (32768 bytes)' },
          ],
        },
        { errors: [{ path: 'properties.a.b', message: 'nested more than 16 levels' }] },
        { errors: [{ path: 'timestamp', message: 'timestamp is more than 1 hour(s) in the future' }] },
        { errors: [{ path: 'nonsense', message: 'unknown field(s)' }] },
      ],
      failed: 2,
    });

    // Assess
    expect(metrics.totals).toEqual({ EventsAccepted: 7, EventsRejected: 4, EventsFailed: 2 });
    expect(metrics.byReason).toEqual({
      'EventsRejected/too-large': 1,
      'EventsRejected/invalid-properties': 1,
      'EventsRejected/invalid-timestamp': 1,
      'EventsRejected/invalid-event': 1,
    });
    expect(metrics.flushes).toBe(1);
    expect(
      rejectionReasonCode([{ path: 'event_id', message: 'is 600 bytes, over the 512-byte limit' }]),
    ).toBe('invalid-event_id');
  });
});
