import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_STAGE, type FunctionId, REST_ROUTES } from '../topology.js';
import { acknowledge, type HouseFunction } from './house-function.js';

export interface EventsRestApiProps {
  readonly functions: Record<FunctionId, HouseFunction>;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The public REST API, built from `REST_ROUTES`: each route is a Lambda proxy integration on the stage
 * `API_STAGE`, with JSON access logs, error-level execution logs, X-Ray and stage-wide throttling.
 *
 * Authentication is by per-account API keys, checked by the functions against the hashed keys table
 * (they decide the account, which an authorizer cache could not do per key scope), so no API Gateway
 * authorizer is attached.
 */
export class EventsRestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EventsRestApiProps) {
    super(scope, id);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Event ingestion and per-account stats',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Execution logging needs the account-level CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        tracingEnabled: true,
        // ERROR, not INFO, and never data tracing: requests carry API keys in their headers.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        // The standard fields carry no headers and no query string, so no key is logged.
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });

    // Parameters are validated here (a missing path parameter never reaches a function). Bodies are not:
    // a JSON-schema model would reject a whole batch for one bad event, while ingest validates each event
    // against the shared zod schema, accepts the valid ones and reports the rest (202 with `rejected`).
    const validator = this.api.addRequestValidator('ParameterValidator', {
      validateRequestParameters: true,
      validateRequestBody: false,
    });

    for (const route of REST_ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(props.functions[route.functionId].function),
        {
          requestValidator: validator,
          requestParameters: Object.fromEntries(pathParams.map((p) => [`method.request.path.${p}`, true])),
        },
      );
    }

    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'Clients authenticate with per-account API keys that the functions verify against the hashed keys table (the key decides the account and scope); see DESIGN.md "Auth".',
    );
    acknowledge(
      this.api,
      'AwsSolutions-COG4',
      'No Cognito user pool: clients are SDKs and backends holding per-account API keys, verified by the functions.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'Request parameters are validated by API Gateway; event bodies are validated per event by ingest (shared zod schema), so one bad event cannot make a whole batch fail with 400.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-APIG3',
      'No WAF by default (a web ACL costs more than the rest of a dev deployment); stage throttling bounds abuse. Associate a web ACL with the stage for production.',
    );
    acknowledge(
      this.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level API Gateway logging role needs exactly this AWS-managed policy; it grants only CloudWatch Logs writes.',
    );
  }
}
