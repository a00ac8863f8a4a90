/**
 * Reads the IAM statements attached to a role out of a synthesized template, so tests and rules can
 * state what a function may and may not do.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every Allow statement of every policy attached to the role with this logical id. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => statement.Effect === 'Allow');
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Whether a CloudFormation value (a Ref, GetAtt or Join) mentions the resource with this logical id. */
export const mentions = (value: unknown, logicalId: string): boolean =>
  JSON.stringify(value ?? null).includes(`"${logicalId}"`);

/** All actions the statements allow on the resource with this logical id (or a path under it). */
export function actionsOn(statements: Statement[], resourceLogicalId: string): string[] {
  return statements
    .filter((s) => mentions(s.Resource, resourceLogicalId))
    .flatMap(actionsOf)
    .sort();
}

/** All actions the statements allow, whatever the resource. */
export function allActions(statements: Statement[]): string[] {
  return statements.flatMap(actionsOf).sort();
}

/** Actions allowed on `"*"`. */
export function actionsOnAnyResource(statements: Statement[]): string[] {
  return statements
    .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')))
    .flatMap(actionsOf)
    .sort();
}
