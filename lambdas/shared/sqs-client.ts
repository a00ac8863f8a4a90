/** The SQS client, in a module of its own so that only the functions that dead-letter bundle it. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig, once } from './clients.js';

/** The process's SQS client. */
export const sqsClient = /* @__PURE__ */ once(() => new SQSClient(clientConfig()));
