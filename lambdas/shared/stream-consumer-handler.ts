/**
 * The Lambda entry point of a stream consumer, the same for each: the invocation's deadline (its
 * remaining time less a margin to answer), the batch through the consumer's core, the batch item
 * failures back to the mapping, and the invocation's metrics flushed whatever happened.
 */
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { logger } from './logger.js';
import { metrics } from './metrics.js';
import { invocationDeadline } from './retry.js';

export type KinesisConsumerHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse>;

/** A handler that runs `consume` on each batch; `answerMarginMs` is kept back to answer after the last retry. */
export function kinesisConsumerHandler(
  consume: (
    records: KinesisStreamRecord[],
    deadline: number,
  ) => Promise<{ response: KinesisStreamBatchResponse }>,
  answerMarginMs: number,
): KinesisConsumerHandler {
  return async (event, context) => {
    logger.addContext(context);
    try {
      const deadline = invocationDeadline(context.getRemainingTimeInMillis(), answerMarginMs, Date.now());
      return (await consume(event.Records, deadline)).response;
    } finally {
      metrics.flush();
    }
  };
}
