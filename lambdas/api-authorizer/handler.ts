/**
 * The REST API's Lambda REQUEST authorizer: thin adapter over `authorizer-core.ts`. Results are not
 * cached by API Gateway (a key may come in a header or in the query string, and a cached authorizer
 * needs every identity source present); the key lookup keeps found keys for `API_KEY_CACHE_SECONDS`.
 * The event is never logged: it carries the key.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createApiKeyLookup, createKeyHashLookup } from '../shared/api-keys.js';
import { loadApiKeyConfig, loadLiveTokensTableName } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { verifyLiveToken } from '../shared/live-tokens.js';
import { logger } from '../shared/logger.js';
import { type AuthorizerDeps, authorizeRequest } from './authorizer-core.js';

const config = loadApiKeyConfig();
const dynamo = dynamoDocumentClient();
const keyStore = {
  client: dynamo,
  tableName: config.apiKeysTableName,
  ttlMs: config.cacheTtlMs,
};
const liveTokens = {
  dynamo,
  tableName: loadLiveTokensTableName(),
  now: () => new Date(),
};
const deps: AuthorizerDeps = {
  lookupApiKey: createApiKeyLookup(keyStore),
  lookupKeyHash: createKeyHashLookup(keyStore),
  verifyLiveToken: (token) => verifyLiveToken(liveTokens, token),
  defaultLimits: config.defaultLimits,
  log: logger,
};

/** Lambda entry point of the API authorizer. */
export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>(
  (event: APIGatewayRequestAuthorizerEvent) =>
    authorizeRequest(
      { headers: event.headers, query: event.queryStringParameters, methodArn: event.methodArn },
      deps,
    ),
).use(injectLambdaContext(logger, { logEvent: false }));
