import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  CORS_ALLOW_HEADERS,
  CORS_ALLOW_METHODS,
  CORS_EXPOSE_HEADERS,
  CORS_MAX_AGE_SECONDS,
} from '../../lambdas/shared/cors.js';
import {
  CUSTOMIZED_GATEWAY_RESPONSES,
  GATEWAY_RESPONSES,
  RATE_LIMIT_CONTEXT_KEY,
} from '../gateway-responses.js';

/**
 * Answers CORS preflights on `resource` in API Gateway: an OPTIONS method with a mock integration, as
 * `addCorsPreflight` builds it (a mapping template answers each allowed origin with itself), but with
 * `CONVERT_TO_TEXT` content handling: the API declares every media type binary, and a mock integration
 * cannot transform a binary request (it answers 500 "Unable to transform request" without it).
 */
export function addCorsPreflight(resource: apigw.IResource, allowedOrigins: readonly string[]): void {
  const [first = '*', ...others] = allowedOrigins;
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': `'${first}'`,
    'Access-Control-Allow-Methods': `'${CORS_ALLOW_METHODS.join(',')}'`,
    'Access-Control-Allow-Headers': `'${CORS_ALLOW_HEADERS.join(',')}'`,
    'Access-Control-Max-Age': `'${CORS_MAX_AGE_SECONDS}'`,
    ...(first === '*' ? {} : { Vary: "'Origin'" }),
  };
  const parameters = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [`method.response.header.${name}`, value]),
  );
  const template =
    others.length === 0
      ? undefined
      : {
          'application/json': [
            '#set($origin = $input.params().header.get("Origin"))',
            '#if($origin == "")#set($origin = $input.params().header.get("origin"))#end',
            `#if(${others.map((origin) => `$origin == "${origin}"`).join(' || ')})`,
            '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
            '#end',
          ].join('\n'),
        };
  resource.addMethod(
    'OPTIONS',
    new apigw.MockIntegration({
      contentHandling: apigw.ContentHandling.CONVERT_TO_TEXT,
      requestTemplates: { 'application/json': '{ "statusCode": 204 }' },
      integrationResponses: [
        {
          statusCode: '204',
          contentHandling: apigw.ContentHandling.CONVERT_TO_TEXT,
          responseParameters: parameters,
          ...(template ? { responseTemplates: template } : {}),
        },
      ],
    }),
    {
      authorizationType: apigw.AuthorizationType.NONE,
      apiKeyRequired: false,
      methodResponses: [
        {
          statusCode: '204',
          responseParameters: Object.fromEntries(Object.keys(parameters).map((name) => [name, true])),
        },
      ],
    },
  );
}

/**
 * The answers API Gateway gives itself (`lib/gateway-responses.ts`): with CORS headers on every one, a
 * 401 for a missing or unknown key, and a 429 with `Retry-After` and `X-RateLimit-*` over a key's limits.
 */
export function addGatewayResponses(api: apigw.RestApi, allowedOrigins: readonly string[]): void {
  const anyOrigin = allowedOrigins.includes('*');
  const cors: Record<string, string> = {
    'Access-Control-Allow-Origin': anyOrigin ? "'*'" : 'method.request.header.Origin',
    'Access-Control-Expose-Headers': `'${CORS_EXPOSE_HEADERS.join(',')}'`,
    ...(anyOrigin ? {} : { Vary: "'Origin'" }),
  };
  for (const type of CUSTOMIZED_GATEWAY_RESPONSES) {
    const definition = GATEWAY_RESPONSES[type];
    const isDefault = type === 'DEFAULT_4XX' || type === 'DEFAULT_5XX';
    const staticHeaders = Object.fromEntries(
      Object.entries(definition.headers ?? {}).map(([name, value]) => [name, `'${value}'`]),
    );
    api.addGatewayResponse(`GatewayResponse${type}`, {
      type: apigw.ResponseType.of(type),
      // The defaults keep the status API Gateway gives each error they stand for.
      ...(isDefault ? {} : { statusCode: String(definition.statusCode) }),
      responseHeaders: {
        ...cors,
        ...staticHeaders,
        ...(type === 'THROTTLED'
          ? { 'X-RateLimit-Limit': `context.authorizer.${RATE_LIMIT_CONTEXT_KEY}` }
          : {}),
      },
      templates: {
        'application/json': isDefault
          ? '{"message":$context.error.messageString}'
          : JSON.stringify({ message: definition.message }),
      },
    });
  }
}
