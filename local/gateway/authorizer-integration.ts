/**
 * The Lambda REQUEST authorizer of the local REST API, both ways: the authorizer event built from a
 * request, and the authorizer's answer read as API Gateway reads it: an IAM policy that allows or
 * denies `execute-api:Invoke` on the method's ARN, a context handed to the integration
 * (`requestContext.authorizer`, values as strings), and the usage identifier of the key's usage plan.
 * A function error whose message is `Unauthorized` is a 401; any other error, or an answer that is not
 * a policy, is a 500. Pure: no server here.
 *
 * Reference: "Input to an API Gateway Lambda authorizer" and "Output from an API Gateway Lambda
 * authorizer" in the API Gateway developer guide.
 */
import type { InvocationResult } from '../runtime/function-host.js';

export type AuthorizerVerdict =
  | {
      kind: 'allow';
      principalId: string;
      context: Record<string, string>;
      usageIdentifierKey: string | undefined;
    }
  | { kind: 'deny' }
  | { kind: 'unauthorized' }
  | { kind: 'failed'; reason: string };

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}` of a request. */
export function methodArn(parts: {
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
  method: string;
  path: string;
}): string {
  return `arn:aws:execute-api:${parts.region}:${parts.accountId}:${parts.apiId}/${parts.stage}/${parts.method}${parts.path}`;
}

/** The REQUEST authorizer event of a proxy event about to be sent to the integration. */
export function authorizerEvent(proxyEvent: Record<string, unknown>, arn: string): Record<string, unknown> {
  const { body: _body, isBase64Encoded: _base64, ...request } = proxyEvent;
  return { type: 'REQUEST', methodArn: arn, ...request };
}

/** Reads an authorizer invocation's result as API Gateway does. */
export function authorizerVerdict(result: InvocationResult, arn: string): AuthorizerVerdict {
  if (result.status === 'error') {
    return result.errorMessage === 'Unauthorized'
      ? { kind: 'unauthorized' }
      : { kind: 'failed', reason: `${result.errorType}: ${result.errorMessage}` };
  }
  const answer = result.payload as {
    principalId?: unknown;
    policyDocument?: { Statement?: { Effect?: string; Action?: unknown; Resource?: unknown }[] };
    context?: Record<string, unknown>;
    usageIdentifierKey?: unknown;
  } | null;
  const statements = answer?.policyDocument?.Statement;
  if (!answer || typeof answer.principalId !== 'string' || !Array.isArray(statements)) {
    return { kind: 'failed', reason: 'the authorizer answered no principalId and policyDocument' };
  }
  const applies = (statement: { Action?: unknown; Resource?: unknown }) =>
    list(statement.Action).some((action) => matches(action, 'execute-api:Invoke')) &&
    list(statement.Resource).some((resource) => matches(resource, arn));
  const relevant = statements.filter(applies);
  if (
    relevant.some((statement) => statement.Effect === 'Deny') ||
    !relevant.some((s) => s.Effect === 'Allow')
  ) {
    return { kind: 'deny' };
  }
  const context = Object.fromEntries(
    Object.entries(answer.context ?? {}).map(([key, value]) => [key, String(value)]),
  );
  return {
    kind: 'allow',
    principalId: answer.principalId,
    context,
    usageIdentifierKey: typeof answer.usageIdentifierKey === 'string' ? answer.usageIdentifierKey : undefined,
  };
}

function list(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** IAM's wildcards in a policy's action or resource: `*` any run of characters, `?` one. */
function matches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(value);
}
