import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_STAGE, type FunctionId, WEBSOCKET_ROUTES } from '../topology.js';
import { acknowledge, type HouseFunction } from './house-function.js';

export interface LiveEventsApiProps {
  readonly functions: Record<FunctionId, HouseFunction>;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The WebSocket API dashboards subscribe to, built from `WEBSOCKET_ROUTES` ($connect, $disconnect,
 * $default), on the stage `API_STAGE`. The broadcaster posts to its @connections management endpoint.
 */
export class LiveEventsApi extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;

  constructor(scope: Construct, id: string, props: LiveEventsApiProps) {
    super(scope, id);

    const route = (routeKey: string) => {
      const entry = WEBSOCKET_ROUTES.find((r) => r.routeKey === routeKey);
      if (!entry) throw new Error(`WEBSOCKET_ROUTES has no ${routeKey} route`);
      const fn = props.functions[entry.functionId].function;
      return { integration: new WebSocketLambdaIntegration(`${entry.functionId}-integration`, fn) };
    };

    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      description: 'Live event push to dashboards',
      connectRouteOptions: route('$connect'),
      disconnectRouteOptions: route('$disconnect'),
      defaultRouteOptions: route('$default'),
    });

    const accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: API_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogGroup),
        // No query string: $connect carries the live token there, and it must never be logged.
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigw.AccessLogField.contextRequestId(),
            requestTime: apigw.AccessLogField.contextRequestTime(),
            routeKey: '$context.routeKey',
            eventType: '$context.eventType',
            connectionId: '$context.connectionId',
            sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
            status: apigw.AccessLogField.contextStatus(),
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'The $connect handler authorizes the live token from the query string (short-lived, one account, issued for a read key by POST /v1/live-tokens) and rejects the connection otherwise; $disconnect and $default only run on connections it accepted.',
    );
  }
}
