/**
 * The CloudFormation output keys of the pipeline stack: the stack writes them, the command-line tools
 * (`cli/target.ts`) read them to find a deployed stage's resources. No aws-cdk-lib import, so the CLI can
 * load this file without the CDK.
 */
export const STACK_OUTPUTS = {
  restApiUrl: 'RestApiUrl',
  webSocketUrl: 'WebSocketUrl',
  openSearchEndpoint: 'OpenSearchEndpoint',
  streamName: 'EventStreamName',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  apiKeysTableName: 'ApiKeysTableName',
  accountsTableName: 'AccountsTableName',
  restApiId: 'RestApiId',
  restApiStage: 'RestApiStage',
  defaultUsagePlanId: 'DefaultUsagePlanId',
  rollupsTableName: 'RollupsTableName',
  connectionsTableName: 'ConnectionsTableName',
  dashboardUrl: 'DashboardUrl',
} as const;
