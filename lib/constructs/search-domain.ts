import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import { OPENSEARCH } from '../topology.js';
import { acknowledge } from './house-function.js';

export interface SearchDomainProps {
  readonly instanceType: string;
  readonly dataNodes: number;
  readonly volumeGb: number;
  readonly multiAz: boolean;
  readonly masterNodes: number;
  readonly masterInstanceType: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The OpenSearch Service domain the indexer writes to and searches read from.
 *
 * Access is IAM-based: there is no resource-based access policy and no fine-grained access control, so a
 * request is allowed only when it is SigV4-signed by a principal whose identity policy grants it (the
 * bind helpers grant exactly the functions bound in the topology). This avoids a master user and its
 * secret, and the custom resource CDK needs to apply an access policy. See docs/deploy.md.
 */
export class SearchDomain extends Construct {
  readonly domain: opensearch.Domain;

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);

    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const slowSearchLogGroup = logGroup('SlowSearchLogs');
    const slowIndexLogGroup = logGroup('SlowIndexLogs');
    const appLogGroup = logGroup('AppLogs');

    // The L2's default is a custom resource (a Lambda function) to write this policy; the native
    // resource does the same job without one.
    const logsPolicy = new logs.ResourcePolicy(this, 'LogsPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [slowSearchLogGroup, slowIndexLogGroup, appLogGroup].map((g) => g.logGroupArn),
        }),
      ],
    });

    this.domain = new opensearch.Domain(this, 'Domain', {
      version: opensearch.EngineVersion.openSearch(OPENSEARCH.engineVersion),
      capacity: {
        dataNodes: props.dataNodes,
        dataNodeInstanceType: props.instanceType,
        masterNodes: props.masterNodes > 0 ? props.masterNodes : undefined,
        masterNodeInstanceType: props.masterNodes > 0 ? props.masterInstanceType : undefined,
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: props.multiAz ? { enabled: true, availabilityZoneCount: 2 } : { enabled: false },
      ebs: { volumeSize: props.volumeGb, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup,
        slowIndexLogEnabled: true,
        slowIndexLogGroup,
        appLogEnabled: true,
        appLogGroup,
      },
      suppressLogsResourcePolicy: true,
      removalPolicy: props.removalPolicy,
    });
    // Domain creation checks that OpenSearch may write to the log groups; nothing else orders the two.
    this.domain.node.addDependency(logsPolicy);

    acknowledge(
      this.domain,
      'AwsSolutions-OS1',
      'Public endpoint on purpose: the functions stay out of a VPC (no NAT gateways to run), and every request must be SigV4-signed by an IAM principal granted through identity policies.',
    );
    acknowledge(
      this.domain,
      'AwsSolutions-OS3',
      'Access is controlled by IAM identity (SigV4) rather than source IPs: Lambda functions have no fixed addresses to allow-list.',
    );
    acknowledge(
      this.domain,
      'AwsSolutions-OS5',
      'No resource-based policy: without one, OpenSearch Service allows only signed requests from principals whose identity policies grant them, so anonymous requests are denied.',
    );
    if (props.masterNodes === 0) {
      acknowledge(
        this.domain,
        'AwsSolutions-OS4',
        'Dev-sized default without dedicated master nodes; set context opensearchMasterNodes=3 for production.',
      );
    }
    if (!props.multiAz) {
      acknowledge(
        this.domain,
        'AwsSolutions-OS7',
        'Dev-sized default in one AZ; set context opensearchMultiAz=true (with an even opensearchDataNodes) for production.',
      );
    }
  }
}
