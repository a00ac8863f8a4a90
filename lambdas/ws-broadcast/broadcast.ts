/**
 * Kinesis event source mapping of the live push: thin adapter over `broadcast-core.ts`.
 */
import {
  loadConnectionsTableName,
  loadTimestampBounds,
  loadWebSocketManagementEndpoint,
} from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';
import { realTiming } from '../shared/retry.js';
import { kinesisConsumerHandler } from '../shared/stream-consumer-handler.js';
import { apiGatewayManagementClient } from '../shared/websocket-management-client.js';
import { type BroadcastDeps, broadcastRecords } from './broadcast-core.js';
import { LoadShedder } from './load-shedding.js';

const deps: BroadcastDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: loadConnectionsTableName(),
  management: apiGatewayManagementClient(loadWebSocketManagementEndpoint()),
  now: () => new Date(),
  log: logger,
  timing: realTiming,
  metrics,
  maxFutureMs: loadTimestampBounds().maxFutureMs,
  // Module scope: it remembers which accounts were shed for as long as the function instance lives.
  shedder: new LoadShedder(),
};

/** Lambda entry point of the broadcast function; 2 s are kept back to report batch item failures. */
export const handler = kinesisConsumerHandler(
  (records, deadline) => broadcastRecords(records, deps, deadline),
  2_000,
);
