/**
 * What a first `cdk deploy` into a real account needs that synthesis never checks: account-level
 * settings a resource relies on exist before it, and names that AWS keeps unique per account (not per
 * region or stack) cannot collide when the same stack is deployed to a second region.
 */
import { type DesignRule, type Resource, resourcesOf, type Subject } from './facts.js';

/**
 * CloudFront resources whose `Name` must be unique in the whole account: CloudFront is global, so a
 * name made of the stack name and construct path alone is the same in every region.
 */
const ACCOUNT_WIDE_NAMES: Record<string, (p: Resource['Properties']) => unknown> = {
  'AWS::CloudFront::ResponseHeadersPolicy': (p) => p.ResponseHeadersPolicyConfig?.Name,
  'AWS::CloudFront::OriginAccessControl': (p) => p.OriginAccessControlConfig?.Name,
  'AWS::CloudFront::CachePolicy': (p) => p.CachePolicyConfig?.Name,
  'AWS::CloudFront::OriginRequestPolicy': (p) => p.OriginRequestPolicyConfig?.Name,
};

/** Logical ids `id` depends on, directly or not: through `DependsOn`, `Ref` and `Fn::GetAtt`. */
function dependenciesOf(subject: Subject, id: string): Set<string> {
  const resources = subject.template.toJSON().Resources as Record<string, Resource>;
  const found = new Set<string>();
  const pending = [id];
  while (pending.length > 0) {
    const current = resources[pending.pop() as string];
    if (!current) continue;
    const json = JSON.stringify(current);
    const referenced = [
      ...(current.DependsOn ?? []),
      ...[...json.matchAll(/"Ref":"([A-Za-z0-9]+)"/g)].map((m) => m[1] as string),
      ...[...json.matchAll(/"Fn::GetAtt":\["([A-Za-z0-9]+)"/g)].map((m) => m[1] as string),
    ];
    for (const next of referenced) {
      if (!found.has(next) && resources[next]) {
        found.add(next);
        pending.push(next);
      }
    }
  }
  return found;
}

/** Whether an API Gateway stage (REST or WebSocket) writes access or execution logs. */
function stageLogs(stage: Resource): boolean {
  const p = stage.Properties;
  const levels = [
    p.DefaultRouteSettings?.LoggingLevel,
    ...(p.MethodSettings ?? []).map((m: Resource['Properties']) => m.LoggingLevel),
  ];
  return Boolean(p.AccessLogSetting ?? p.AccessLogSettings) || levels.some((l) => l && l !== 'OFF');
}

export const DEPLOY_RULES: DesignRule[] = [
  {
    id: 'alarms-watch-this-stack',
    says: "An alarm that selects its metric by a name (API Gateway's ApiName) names something of this stack alone: the name carries the stack name, so another stack of the app in the region never sets it off.",
    check: (subject) =>
      resourcesOf(subject, 'AWS::CloudWatch::Alarm').flatMap(([id, alarm]) =>
        (alarm.Properties.Dimensions ?? [])
          .filter((d: Resource['Properties']) => d.Name === 'ApiName')
          .filter(
            (d: Resource['Properties']) => !JSON.stringify(d.Value).includes('{"Ref":"AWS::StackName"}'),
          )
          .map(
            (d: Resource['Properties']) =>
              `alarm ${id} watches ApiName ${JSON.stringify(d.Value)}, a name other stacks may share`,
          ),
      ),
  },
  {
    id: 'api-logging-after-account-role',
    says: "Every API Gateway stage that logs (REST or WebSocket) is created after the region's API Gateway CloudWatch role (AWS::ApiGateway::Account): in a region where none was ever set, a logging stage created first fails the deployment.",
    check: (subject) => {
      const accounts = resourcesOf(subject, 'AWS::ApiGateway::Account').map(([id]) => id);
      if (accounts.length === 0) return ['no AWS::ApiGateway::Account sets the CloudWatch role'];
      const stages = [
        ...resourcesOf(subject, 'AWS::ApiGateway::Stage'),
        ...resourcesOf(subject, 'AWS::ApiGatewayV2::Stage'),
      ].filter(([, stage]) => stageLogs(stage));
      return stages
        .filter(([id]) => {
          const dependencies = dependenciesOf(subject, id);
          return !accounts.some((account) => dependencies.has(account));
        })
        .map(([id]) => `stage ${id} logs but may be created before the API Gateway CloudWatch role is set`);
    },
  },
  {
    id: 'account-wide-names-per-region',
    says: 'Every CloudFront name (unique per account, CloudFront being global) carries the region, so the same stack deploys to a second region of the account.',
    check: (subject) =>
      Object.entries(ACCOUNT_WIDE_NAMES).flatMap(([type, nameOf]) =>
        resourcesOf(subject, type)
          .filter(([, r]) => !JSON.stringify(nameOf(r.Properties) ?? '').includes('{"Ref":"AWS::Region"}'))
          .map(
            ([id, r]) => `${type} ${id} is named without the region: ${JSON.stringify(nameOf(r.Properties))}`,
          ),
      ),
  },
];
