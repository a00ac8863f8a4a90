import { DockerImage, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildDashboardSync, DASHBOARD_DIR } from '../../dashboard/build.js';
import {
  ASSETS_DIR,
  CACHE_CONTROL,
  CONFIG_FILE,
  contentSecurityPolicy,
  type DashboardConfig,
} from '../../dashboard/hosting.js';
import { acknowledge, deploymentHelperRole, nagRef } from './house-function.js';

/** The longest region code (`ap-southeast-5`), kept free at the end of an account-wide name. */
const MAX_REGION_LENGTH = 14;

/**
 * A name CloudFront keeps unique in the whole account (it is global): the construct path's unique name
 * (the stack name is in it: unique in a region) followed by the region, so the same stack deployed to
 * another region of the account does not fail on a name its first copy holds.
 */
function accountWideName(scope: Construct, part: string, maxLength: number): string {
  const prefix = Names.uniqueResourceName(scope, {
    maxLength: maxLength - part.length - MAX_REGION_LENGTH - 2,
    separator: '-',
  });
  return `${prefix}-${part}-${Stack.of(scope).region}`;
}

export interface DashboardSiteProps {
  /** The REST API, served under `/v1/*` of the site's own domain. */
  readonly restApi: apigw.RestApi;
  /** `wss://…/prod`: what the page connects to (named in its `config.json` and its security policy). */
  readonly webSocketUrl: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The dashboard page: a private S3 bucket behind CloudFront (origin access control, HTTPS only, the
 * page's security headers), the REST API under `/v1/*` of the same domain (so the page calls its own
 * origin: no CORS, and the API keys and live tokens it sends stay in headers, never cached), and a
 * `config.json` naming the WebSocket API, written at deploy time beside the page built by Vite at synth.
 */
export class DashboardSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://d1234.cloudfront.net/` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);

    // The built page only, rebuilt from git on every deploy: nothing to keep when the stack goes.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const securityHeadersBehavior: cloudfront.ResponseSecurityHeadersBehavior = {
      contentSecurityPolicy: {
        contentSecurityPolicy: contentSecurityPolicy(props.webSocketUrl),
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      strictTransportSecurity: {
        accessControlMaxAge: Duration.days(365),
        includeSubdomains: true,
        override: true,
      },
    };
    // The bucket's files carry no Cache-Control: CloudFront adds the page's and the assets' own.
    const headers = (id: string, cacheControl: string, what: string) =>
      new cloudfront.ResponseHeadersPolicy(this, id, {
        responseHeadersPolicyName: accountWideName(this, id, 128),
        comment: `Security headers and caching of the dashboard ${what} (as dashboard/hosting.ts locally)`,
        securityHeadersBehavior,
        customHeadersBehavior: {
          customHeaders: [{ header: 'Cache-Control', value: cacheControl, override: true }],
        },
      });
    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
      originAccessControl: new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
        originAccessControlName: accountWideName(this, 'page', 64),
      }),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Live events dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers('SecurityHeaders', CACHE_CONTROL.page, 'page'),
      },
      additionalBehaviors: {
        [`/${ASSETS_DIR}/*`]: {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: headers('AssetHeaders', CACHE_CONTROL.asset, 'page assets'),
        },
        '/v1/*': {
          origin: new origins.RestApiOrigin(props.restApi),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Answers depend on the caller's key or token: never cached, every header passed on but Host.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;

    const config: DashboardConfig = { apiBaseUrl: '', websocketUrl: props.webSocketUrl };
    // aws-cdk-lib grants this role the rest: read the asset, write the bucket, invalidate the distribution.
    const { role: deploymentRole, logGroup: deploymentLogs } = deploymentHelperRole(
      this,
      { role: 'DeploymentRole', logGroup: 'DeploymentLogs' },
      'Copies the built dashboard page to its bucket and invalidates the distribution',
      props.logRetention,
    );
    new s3deploy.BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.asset(DASHBOARD_DIR, {
          // Vite on this machine, never in Docker (the image is required by the API, and unused).
          bundling: {
            image: DockerImage.fromRegistry('node:22-alpine'),
            local: {
              tryBundle(outputDir) {
                buildDashboardSync(outputDir);
                return true;
              },
            },
          },
        }),
        s3deploy.Source.jsonData(CONFIG_FILE, config),
      ],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      logGroup: deploymentLogs,
      role: deploymentRole,
      // Deleting the stack deletes the page's files, so the bucket can be deleted too.
      retainOnDelete: false,
    });

    this.acknowledgeFindings(deploymentRole);
  }

  private acknowledgeFindings(deploymentRole: iam.Role): void {
    const deploymentGrants: [string, string][] = [
      ['Action::s3:GetBucket*', 'reads the CDK asset bucket it copies the page from (aws-cdk-lib grantRead)'],
      ['Action::s3:GetObject*', 'reads the page asset (aws-cdk-lib grantRead)'],
      ['Action::s3:List*', 'lists the asset and the site bucket to copy and prune (aws-cdk-lib grants)'],
      [
        'Action::s3:Abort*',
        'aborts its own multipart uploads to the site bucket (aws-cdk-lib grantReadWrite)',
      ],
      [
        'Action::s3:DeleteObject*',
        'prunes files of older builds from the site bucket (aws-cdk-lib grantReadWrite)',
      ],
      [
        `Resource::${nagRef(this.bucket, 'Arn')}/*`,
        'objects of the site bucket only: the page is many files with hashed names',
      ],
      [
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        'the CDK bootstrap asset bucket, where the built page is uploaded; the object key is a content hash',
      ],
      [
        'Resource::*',
        'cloudfront:CreateInvalidation and GetInvalidation, as aws-cdk-lib grants them, after each deploy',
      ],
    ];
    for (const [finding, reason] of deploymentGrants) {
      acknowledge(deploymentRole, `AwsSolutions-IAM5[${finding}]`, `The page deployment ${reason}.`);
    }
    // The deployment's function is aws-cdk-lib's own singleton, a child of the stack.
    for (const child of Stack.of(this).node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        acknowledge(
          child,
          'AwsSolutions-L1',
          "aws-cdk-lib's bucket deployment handler runs on the runtime aws-cdk-lib pins for it; it runs only during deployments.",
        );
      }
    }
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'The bucket holds only the built page, readable through CloudFront alone; requests to the page are not worth a log bucket, and every API call is logged by API Gateway.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The dashboard is for the account owners wherever they are; access is by read key, not by country.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'No WAF by default (a web ACL costs more than the rest of a dev deployment), as for the REST API; associate one for production.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      'The static page needs no access log; the API calls it proxies are logged by API Gateway (access logs without keys or tokens).',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate allows TLSv1 for old viewers whatever the setting; TLS 1.2 (TLSv1.2_2021) applies as soon as a custom domain and certificate are attached.',
    );
  }
}
