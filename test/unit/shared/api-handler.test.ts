/**
 * The API functions' wrapper when a store hangs: the handler is given up just before the function's
 * timeout and the client is told to come back (503 with Retry-After, CORS included), never a bare 500
 * or a Lambda timeout.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_MS, apiHandler } from '../../../lambdas/shared/api-handler.js';
import { apiRequest, lambdaContext, silentLog } from '../../helpers/factories.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

describe('apiHandler', () => {
  it('answers 503 with Retry-After and CORS when the handler is still waiting as the function runs out of time', async () => {
    // Prepare: a handler waiting on a store that never answers, in an invocation with 400 ms left
    const waiting: Handler = () => new Promise<never>(() => undefined);
    const handler = apiHandler(waiting, { corsOrigins: ['*'], log: silentLog });
    const remainingMs = 400;
    const started = performance.now();

    // Act
    const result = await handler(
      apiRequest({ headers: { origin: 'https://app.example.com' } }),
      lambdaContext({ remainingMs }),
    );

    // Assess: answered before the function's timeout, telling the client to come back
    expect(performance.now() - started).toBeLessThan(remainingMs);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Retry-After': '1', 'Access-Control-Allow-Origin': '*' });
    expect(JSON.parse(result.body)).toMatchObject({
      message: expect.stringMatching(/did not finish in time/),
      retry_after_seconds: 1,
    });
  });

  it('leaves the handler its time up to the margin: an answer in time is the answer', async () => {
    // Prepare: a handler that answers 100 ms before the margin
    const remainingMs = ANSWER_MARGIN_MS + 200;
    const answering: Handler = () =>
      new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '{}' }), 100));
    const handler = apiHandler(answering, { log: silentLog });

    // Act
    const result = await handler(apiRequest({}), lambdaContext({ remainingMs }));

    // Assess
    expect(result.statusCode).toBe(200);
  });
});
