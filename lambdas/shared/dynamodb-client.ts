/** The DynamoDB document client, in a module of its own so that only the functions that call DynamoDB bundle it. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientConfig, once } from './clients.js';

/** The process's DynamoDB document client (plain JS values in, plain JS values out). */
export const dynamoDocumentClient = /* @__PURE__ */ once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig()), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  }),
);
