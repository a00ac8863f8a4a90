/**
 * Facts read off a synthesized template, for the design rules: which mappings read the event stream,
 * whose role may do what, which alarms watch what. Rules are written against these facts only, never
 * against the topology the stack was built from, so a wrong topology shows up as a broken rule.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import {
  allActions,
  mentions,
  roleStatements,
  type Statement,
  actionsOn as statementActionsOn,
} from '../iam.js';
import type { PipelineIds } from '../synth.js';

/** What a rule looks at: a template and the logical ids of the parts the design names. */
export interface Subject {
  template: Template;
  ids: PipelineIds;
}

/** One rule of ../shared/DESIGN.md (or an issue that refines it), as a check that lists violations. */
export interface DesignRule {
  id: string;
  /** The rule in words, as the design states it. */
  says: string;
  /** Human-readable violations, each naming the resource; empty when the rule holds. */
  check(subject: Subject): string[];
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
export type Properties = Record<string, any>;
export interface Resource {
  Type: string;
  Properties: Properties;
  DependsOn?: string[];
}

export function resourcesOf(subject: Subject, type: string): [string, Resource][] {
  return Object.entries(subject.template.findResources(type)) as [string, Resource][];
}

export function resource(subject: Subject, logicalId: string): Resource | undefined {
  return (subject.template.toJSON().Resources as Record<string, Resource>)[logicalId];
}

/** `{ "Fn::GetAtt": [id, "Arn"] }`, the way CloudFormation names a resource's ARN. */
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

export const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export { mentions };

/** The topology name of a function (`indexer`), or its logical id when it is not one of ours. */
export function functionName(subject: Subject, logicalId: string): string {
  const { functions, indexTemplate } = subject.ids;
  const own = Object.entries(functions).find(([, ids]) => ids.function === logicalId)?.[0];
  if (own) return own;
  if (indexTemplate.installer.function === logicalId) return 'index-template-installer';
  return logicalId;
}

/** Every Allow statement of the role the function with this logical id runs as. */
export function statementsOf(subject: Subject, functionLogicalId: string): Statement[] {
  const role = resource(subject, functionLogicalId)?.Properties.Role;
  const roleId = role?.['Fn::GetAtt']?.[0];
  return typeof roleId === 'string' ? roleStatements(subject.template, roleId) : [];
}

/** Actions a function may take on the resource with this logical id (or a path under it). */
export function actionsOn(subject: Subject, functionLogicalId: string, resourceLogicalId: string): string[] {
  return statementActionsOn(statementsOf(subject, functionLogicalId), resourceLogicalId);
}

/** Actions that change data: a write to a table, an index, the stream, or a queue. */
const WRITE_ACTION =
  /^(dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)|es:ESHttp(Post|Put|Patch|Delete)|kinesis:PutRecords?|sqs:SendMessage)$/;

export const isWrite = (action: string) => WRITE_ACTION.test(action);

/**
 * Whether the function may change data in the resource. OpenSearch searches are POSTs (and a point in
 * time is closed with a DELETE), so a statement whose every resource is a `_search` endpoint reads.
 */
export function writesTo(subject: Subject, functionLogicalId: string, resourceLogicalId: string): boolean {
  return statementsOf(subject, functionLogicalId)
    .filter((statement) => mentions(statement.Resource, resourceLogicalId) && !searchesOnly(statement))
    .flatMap((statement) => allActions([statement]))
    .some(isWrite);
}

function searchesOnly(statement: Statement): boolean {
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  return resources.every((resource) => /\/_search(\/point_in_time)?"/.test(JSON.stringify(resource)));
}

/** A Kinesis event source mapping on the event stream. */
export interface StreamMapping {
  logicalId: string;
  /** Topology name of the consumer function. */
  consumer: string;
  functionLogicalId: string;
  properties: Properties;
  dependsOn: string[];
}

export function streamMappings(subject: Subject): StreamMapping[] {
  return resourcesOf(subject, 'AWS::Lambda::EventSourceMapping')
    .filter(([, r]) => sameJson(r.Properties.EventSourceArn, arnOf(subject.ids.stream)))
    .map(([logicalId, r]) => {
      const functionLogicalId = r.Properties.FunctionName?.Ref ?? String(r.Properties.FunctionName);
      return {
        logicalId,
        consumer: functionName(subject, functionLogicalId),
        functionLogicalId,
        properties: r.Properties,
        dependsOn: r.DependsOn ?? [],
      };
    });
}

/**
 * A durable consumer is one whose writes ARE the record of an event: it writes the search index or the
 * rollups (DESIGN.md: "the durable paths are OpenSearch and the rollups"). Read from its grants, so a
 * consumer that starts writing either becomes durable and must follow the durable rules.
 */
export function isDurable(subject: Subject, mapping: StreamMapping): boolean {
  const { domain, tables } = subject.ids;
  return (
    writesTo(subject, mapping.functionLogicalId, domain) ||
    writesTo(subject, mapping.functionLogicalId, tables.rollups)
  );
}

/** The event stream's retention in seconds (Kinesis keeps records 24 h unless told otherwise). */
export function streamRetentionSeconds(subject: Subject): number {
  const hours = resource(subject, subject.ids.stream)?.Properties.RetentionPeriodHours ?? 24;
  return Number(hours) * 3600;
}
