/**
 * Dead letters as SQS takes them: a message body may hold only XML's characters, so a letter of an
 * admitted event holding U+FFFE or U+FFFF (well-formed Unicode, which admission lets through) must go
 * out escaped, or SQS refuses it and the event's shard waits on it forever.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { eventLetter, sendDeadLetters } from '../../../lambdas/shared/dead-letter.js';
import { decodeRecord } from '../../../lambdas/shared/kinesis-records.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { kinesisRecord, silentLog, storedEvent } from '../../helpers/factories.js';

const sqs = mockClient(SQSClient);
/** What SQS accepts in a message body (its documented character set). */
const SQS_BODY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

describe('sendDeadLetters', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it('escapes the code points SQS refuses, and the letter still reads back as the same event', async () => {
    // Prepare
    const event = storedEvent({ path: '/\uFFFF', properties: { 'k\uFFFE': 'v\uFFFF' } });
    const decoded = decodeRecord(kinesisRecord(event));
    if (!decoded.ok) throw new Error(`the event is admitted: ${decoded.reason}`);
    const letter = eventLetter(
      'indexer',
      decoded,
      { reasonCode: 'document-rejected', reason: "400 mapper_parsing_exception: value '\uFFFF'" },
      '2026-01-15T10:30:00.000Z',
    );

    // Act
    const notSent = await sendDeadLetters(new SQSClient({}), 'http://sqs/dead-letter', [letter], silentLog);

    // Assess
    expect(notSent).toEqual([]);
    const [body] = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => entry.MessageBody ?? '');
    expect(body).toMatch(SQS_BODY);
    expect(JSON.parse(body as string)).toMatchObject({ event, reason: letter.reason });
  });

  it.each([
    ['no lists at all', {}, ['0', '1']],
    ['empty lists', { Successful: [], Failed: [] }, ['0', '1']],
    ['the other letter only', { Successful: [{ Id: '1', MessageId: 'm-1', MD5OfMessageBody: '' }] }, ['0']],
    ['no message id', { Successful: [{ Id: '0', MD5OfMessageBody: '' }] }, ['0', '1']],
    [
      'listed as both',
      {
        Successful: [
          { Id: '0', MessageId: 'm-0', MD5OfMessageBody: '' },
          { Id: '1', MessageId: 'm-1', MD5OfMessageBody: '' },
        ],
        Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
      },
      ['0'],
    ],
  ])('counts a letter that SQS does not acknowledge (%s) as not sent', async (_what, answer, expected) => {
    // Prepare: SQS (or something in its place) answers without acknowledging the first letter
    sqs.on(SendMessageBatchCommand).resolves(answer as never);
    const letters = [storedEvent(), storedEvent()].map((event, position) => {
      const decoded = decodeRecord(kinesisRecord(event, `${position}`));
      if (!decoded.ok) throw new Error(decoded.reason);
      return eventLetter(
        'indexer',
        decoded,
        { reasonCode: 'document-rejected', reason: 'rejected' },
        '2026-01-15T10:30:00.000Z',
      );
    });

    // Act
    const notSent = await sendDeadLetters(new SQSClient({}), 'http://sqs/dead-letter', letters, silentLog);

    // Assess: never taken for sent, so the consumer reports the record and sends its letter again
    expect(notSent).toEqual(expected);
  });
});
