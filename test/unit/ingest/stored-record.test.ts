import { describe, expect, it } from 'vitest';
import { storedJson } from '../../../lambdas/ingest/stored-record.js';
import { storeForTest, testReceipt } from '../../helpers/stored-records.js';

/** The `timestamp` of the stored event of `{type, timestamp}`, and whether its JSON has it once. */
function storedTimestamp(timestamp: string): { timestamp: unknown; occurrences: number } {
  const record = storeForTest({ type: 'x', timestamp });
  if (!record.ok) throw new Error(`refused: ${JSON.stringify(record.errors)}`);
  const json = storedJson(record, testReceipt());
  return {
    timestamp: (JSON.parse(json) as { timestamp?: unknown }).timestamp,
    occurrences: json.split('"timestamp"').length - 1,
  };
}

describe('storeEvent timestamps', () => {
  it('keeps a timestamp already in toISOString form as sent', () => {
    // Prepare
    const sent = '2026-01-15T09:59:59.123Z';

    // Act
    const stored = storedTimestamp(sent);

    // Assess
    expect(stored).toEqual({ timestamp: sent, occurrences: 1 });
  });

  it.each([
    ['2026-01-15T10:00:00Z', '2026-01-15T10:00:00.000Z'],
    ['2026-01-15T10:00:00.5Z', '2026-01-15T10:00:00.500Z'],
    ['2026-01-15T10:00:00.1239Z', '2026-01-15T10:00:00.123Z'],
    ['2026-01-15T11:00:00.000+01:00', '2026-01-15T10:00:00.000Z'],
    ['2026-01-15T09:00:00.00-01:00', '2026-01-15T10:00:00.000Z'],
  ])('normalizes %s to UTC with milliseconds: %s, stored once', (sent, normalized) => {
    // Act
    const stored = storedTimestamp(sent);

    // Assess
    expect(stored).toEqual({ timestamp: normalized, occurrences: 1 });
  });
});
