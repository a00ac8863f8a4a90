/**
 * Reads the IAM statements attached to a function's role out of a synthesized template, so tests can
 * state what a function may and may not do.
 */
import { CfnElement, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(stack: Stack, construct: Construct): string {
  const child = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(child))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.resolve(stack.getLogicalId(child)) as string;
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

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Whether a statement's resources mention the resource with this logical id (by Ref or GetAtt). */
export function mentions(statement: Statement, resourceLogicalId: string): boolean {
  return JSON.stringify(statement.Resource).includes(`"${resourceLogicalId}"`);
}

/** All actions the statements allow on the resource with this logical id. */
export function actionsOn(statements: Statement[], resourceLogicalId: string): string[] {
  return statements
    .filter((s) => mentions(s, resourceLogicalId))
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
