import { CustomResource } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { EVENTS_INDEX_TEMPLATE_NAME, indexReplicas } from '../../lambdas/indexer/index-template.js';
import { eventsIndexTemplateHash } from '../../lambdas/indexer/template-installer-core.js';
import { DEPLOY_FUNCTIONS, type DeployFunctionDefinition, OPENSEARCH } from '../topology.js';
import {
  acknowledge,
  bindOpenSearchIndexTemplate,
  deploymentHelperRole,
  HouseFunction,
  nagRef,
} from './house-function.js';

export interface EventsIndexTemplateProps {
  /** The domain the template is applied to. */
  readonly domain: opensearch.IDomain;
  /** The domain's data nodes, which decide the indices' replicas (`indexReplicas`). */
  readonly dataNodes: number;
  /** Retention of the installer's and the provider framework's log groups. */
  readonly logRetention: logs.RetentionDays;
  /** Test-only prebuilt installer code, as for every `HouseFunction`. */
  readonly code?: lambda.Code;
}

/**
 * Applies the events index template (`lambdas/indexer/index-template.ts`) to the OpenSearch domain on
 * every deployment that changes it, through a custom resource whose handler is a house function
 * (`lambdas/indexer/template-installer.ts`).
 *
 * Without it the indexer's first write would create the daily index with dynamic mappings: core fields
 * typed by guesswork and every property key a new field. Consumers that write to OpenSearch make their
 * event source mappings depend on `resource`, so no event is indexed before the template exists.
 */
export class EventsIndexTemplate extends Construct {
  readonly installer: HouseFunction<DeployFunctionDefinition>;
  readonly provider: cr.Provider;
  /** The custom resource; depend on it to run after the template is in the domain. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: EventsIndexTemplateProps) {
    super(scope, id);

    this.installer = new HouseFunction(this, 'Installer', {
      definition: DEPLOY_FUNCTIONS['index-template-installer'],
      logRetention: props.logRetention,
      code: props.code,
    });
    bindOpenSearchIndexTemplate(this.installer, props.domain, EVENTS_INDEX_TEMPLATE_NAME);

    // The framework's own function: a log group of its own, and a role that may write only to it.
    const { role: frameworkRole, logGroup: frameworkLogGroup } = deploymentHelperRole(
      this,
      { role: 'ProviderRole', logGroup: 'ProviderLogGroup' },
      'Execution role of the custom resource provider framework of the events index template',
      props.logRetention,
    );

    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.installer.function,
      logGroup: frameworkLogGroup,
      frameworkOnEventRole: frameworkRole,
    });

    const replicas = indexReplicas(props.dataNodes);
    this.resource = new CustomResource(this, 'Template', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::EventsIndexTemplate',
      properties: {
        TemplateName: EVENTS_INDEX_TEMPLATE_NAME,
        Replicas: String(replicas),
        // Changes whenever the template body does, so CloudFormation sends an Update that re-applies it.
        TemplateHash: eventsIndexTemplateHash(OPENSEARCH.eventsIndexPrefix, replicas),
      },
    });

    acknowledge(
      frameworkRole,
      `AwsSolutions-IAM5[Resource::${nagRef(this.installer.function, 'Arn')}:*]`,
      'The provider framework invokes the installer through grantInvoke, which also covers its versions and aliases (<arn>:*); only this one function is reachable.',
    );
  }
}
