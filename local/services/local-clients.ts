/**
 * SDK clients for the stack's own use (health checks, provisioning), pointed at an emulator. HTTP/1.1
 * through NodeHttpHandler: kinesalite does not speak the HTTP/2 the Kinesis client defaults to.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_CREDENTIALS } from '../function-environment.js';

/** Region of the local stack's resources (ARNs, ElasticMQ queue ARNs, SigV4 scopes). */
export const LOCAL_REGION = 'us-east-1';

function config(endpoint: string, region: string) {
  return {
    endpoint,
    region,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 10_000 }),
    maxAttempts: 1,
  };
}

/** Kinesis client for kinesalite (HTTP/1.1, one attempt: callers poll or fail loudly). */
export const localKinesis = (endpoint: string, region = LOCAL_REGION) =>
  new KinesisClient(config(endpoint, region));
/** DynamoDB client for DynamoDB Local. */
export const localDynamoDb = (endpoint: string, region = LOCAL_REGION) =>
  new DynamoDBClient(config(endpoint, region));
/** SQS client for ElasticMQ. */
export const localSqs = (endpoint: string, region = LOCAL_REGION) => new SQSClient(config(endpoint, region));
