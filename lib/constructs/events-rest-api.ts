import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_STAGE, type FunctionId, REST_API, REST_ROUTES } from '../topology.js';
import { acknowledge, type HouseFunction } from './house-function.js';
import { addCorsPreflight, addGatewayResponses } from './rest-api-browser-support.js';

export interface EventsRestApiProps {
  readonly functions: Record<FunctionId, HouseFunction>;
  /** Stage-wide ceiling of requests, above every key's own limits. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per second and burst of the default usage plan: keys with no limits of their own. */
  readonly keyRateLimit: number;
  readonly keyBurstLimit: number;
  /** Origins browsers may call from: `['*']` or a list. */
  readonly corsAllowedOrigins: readonly string[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The public REST API, built from `REST_ROUTES` and `REST_API`: each route is a Lambda proxy
 * integration on the stage `API_STAGE`, with JSON access logs, error-level execution logs and a
 * stage-wide ceiling of requests (no X-Ray: its traces would keep the keys of beacon URLs).
 *
 * Per-key limits: a Lambda REQUEST authorizer finds the key (header or query string), hands the
 * function its account and scope, and names the key's usage identifier (its hash, the value of the
 * key's API Gateway API key), so the usage plan the key is in throttles it before any function runs
 * (docs/decisions.md, "Per-key rate limits"). Keys without limits of their own are in the default
 * plan; `npm run pipeline -- keys create --rate N --burst N` puts a key in a plan of its limits.
 *
 * Browsers: every resource answers CORS preflights, every answer of API Gateway itself carries CORS
 * headers, and every media type is binary, so bodies (gzip included) reach ingest as sent.
 */
export class EventsRestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  /** The usage plan of keys without limits of their own. */
  readonly defaultUsagePlan: apigw.UsagePlan;
  /**
   * The region's API Gateway CloudWatch role setting (`AWS::ApiGateway::Account`): any stage that logs,
   * REST or WebSocket, must be created after it (see `cloudWatchRole` below).
   */
  readonly cloudWatchAccount: apigw.CfnAccount;

  constructor(scope: Construct, id: string, props: EventsRestApiProps) {
    super(scope, id);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      // REST API metrics (and so the 5xx alarm) select an API by its name, not its id: a name of its
      // own, or every stack of this app in the region (one per developer) would share them.
      restApiName: `${Aws.STACK_NAME}-events`,
      description: 'Event ingestion and per-account stats',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      binaryMediaTypes: [...REST_API.binaryMediaTypes],
      // The usage identifier comes from the authorizer: keys may come in the query string (beacons).
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      // Execution logging needs the account-level CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        // No X-Ray: API Gateway's segment records the request URL with its query string, where a
        // beacon's key travels (docs/decisions.md, "Tracing").
        tracingEnabled: false,
        // ERROR, not INFO, and never data tracing: requests carry API keys in headers and query strings.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        // The standard fields carry no headers and no query string (`resourcePath` is the route's
        // template, not the request's URL), so no key is logged.
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // aws-cdk-lib makes this stage wait for the role setting, but keeps the setting itself protected.
    this.cloudWatchAccount = this.api.node.findChild('Account') as apigw.CfnAccount;

    const authorizer = new apigw.RequestAuthorizer(this, 'Authorizer', {
      handler: props.functions[REST_API.authorizer.functionId].function,
      // Not cached: a cached authorizer needs every identity source present, and a key comes in the
      // header or in the query string. The function caches the keys it looked up.
      resultsCacheTtl: Duration.seconds(REST_API.authorizer.resultsCacheTtlSeconds),
      identitySources: [],
    });
    (authorizer.node.defaultChild as apigw.CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');

    // Parameters are validated here (a missing path parameter never reaches a function). Bodies are not:
    // a JSON-schema model would reject a whole batch for one bad event, while ingest validates each event
    // against the shared zod schema, accepts the valid ones and reports the rest (202 with `rejected`).
    const validator = this.api.addRequestValidator('ParameterValidator', {
      validateRequestParameters: true,
      validateRequestBody: false,
    });

    const preflighted = new Set<string>();
    for (const route of REST_ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(props.functions[route.functionId].function),
        {
          requestValidator: validator,
          requestParameters: Object.fromEntries(pathParams.map((p) => [`method.request.path.${p}`, true])),
          ...(route.apiKey
            ? { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM, apiKeyRequired: true }
            : {}),
        },
      );
      if (!preflighted.has(route.path)) {
        preflighted.add(route.path);
        addCorsPreflight(resource, props.corsAllowedOrigins);
      }
    }
    addGatewayResponses(this.api, props.corsAllowedOrigins);

    this.defaultUsagePlan = this.api.addUsagePlan('DefaultUsagePlan', {
      description: 'Keys without limits of their own (keys create without --rate/--burst)',
      throttle: { rateLimit: props.keyRateLimit, burstLimit: props.keyBurstLimit },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });

    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'Every route but the health check and the CORS preflights (which carry no data) runs the API key authorizer, which also takes live tokens for the read key that issued them (lib/topology.ts REST_ROUTES).',
    );
    acknowledge(
      this.api,
      'AwsSolutions-COG4',
      'No Cognito user pool: clients are SDKs, backends and web pages holding per-account API keys, checked by the API key authorizer.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'Request parameters are validated by API Gateway; event bodies are validated per event by ingest (shared zod schema), so one bad event cannot make a whole batch fail with 400.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-APIG3',
      'No WAF by default (a web ACL costs more than the rest of a dev deployment); per-key usage plans and stage throttling bound abuse. Associate a web ACL with the stage for production.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level API Gateway logging role needs exactly this AWS-managed policy; it grants only CloudWatch Logs writes.',
    );
  }
}
