/**
 * An event through the whole of ingest's admission, without a request: validation, then the stored
 * record, with the receipt of `acct-1` at a fixed time.
 */
import { receiptOf, type StoredRecord, storeEvent } from '../../lambdas/ingest/stored-record.js';
import { validateIncomingEvent } from '../../lambdas/shared/event-validation.js';

export const STORE_RECEIVED_AT = new Date('2026-01-15T10:30:00.000Z');

export function testReceipt(overrides: { userAgent?: string; clientIp?: string; accountId?: string } = {}) {
  return receiptOf({
    accountId: overrides.accountId ?? 'acct-1',
    receivedAt: STORE_RECEIVED_AT,
    clientIp: overrides.clientIp ?? '203.0.113.7',
    userAgent: overrides.userAgent ?? 'ua',
    newEventId: () => 'generated',
  });
}

/** Validates and stores `event`; a validation failure is returned as is. */
export function storeForTest(event: unknown, receipt = testReceipt()): StoredRecord {
  const validation = validateIncomingEvent(event, STORE_RECEIVED_AT);
  return validation.ok ? storeEvent(validation, receipt) : validation;
}
