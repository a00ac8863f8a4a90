/**
 * What the local REST gateway does for a route that needs an API key, before the integration: run the
 * REQUEST authorizer (`authorizer-integration.ts`), refuse what it denies, require a usage identifier,
 * and throttle the identifier by its usage plan (`usage-plans.ts`). The outcome is either the
 * request's authorizer context and API key, or the gateway response to send.
 */
import { type GatewayResponseType, RATE_LIMIT_CONTEXT_KEY } from '../../lib/gateway-responses.js';
import type { LocalFunction } from '../runtime/function-host.js';
import { authorizerEvent, authorizerVerdict } from './authorizer-integration.js';
import type { UsagePlanThrottle } from './usage-plans.js';

export type Authorization =
  | { ok: true; authorizer: Record<string, string | number>; apiKey: string }
  | { ok: false; type: GatewayResponseType; headers?: Record<string, string>; reason?: string };

export interface AuthorizationInput {
  authorizer: LocalFunction;
  proxyEvent: Record<string, unknown>;
  methodArn: string;
  throttle: UsagePlanThrottle;
  /** The throttle's clock, read once the authorizer has answered (requests overlap in the authorizer). */
  now: () => number;
  /** Aborts the authorizer's invocation while it waits for an execution environment (the client left). */
  signal?: AbortSignal;
}

/** Authorizes and throttles one request. */
export async function authorizeRequest(input: AuthorizationInput): Promise<Authorization> {
  const started = performance.now();
  const result = await input.authorizer.invoke(
    authorizerEvent(input.proxyEvent, input.methodArn),
    input.signal,
  );
  const verdict = authorizerVerdict(result, input.methodArn);
  if (verdict.kind === 'unauthorized') return { ok: false, type: 'UNAUTHORIZED' };
  if (verdict.kind === 'deny') return { ok: false, type: 'ACCESS_DENIED' };
  if (verdict.kind === 'failed') return { ok: false, type: 'AUTHORIZER_FAILURE', reason: verdict.reason };
  // A method that requires an API key and gets no usage identifier is refused, as API Gateway does.
  if (!verdict.usageIdentifierKey) {
    return { ok: false, type: 'INVALID_API_KEY', reason: 'the authorizer named no usage identifier' };
  }
  const rateLimit = Number(verdict.context[RATE_LIMIT_CONTEXT_KEY]);
  const burstLimit = Number(verdict.context.burstLimit);
  if (rateLimit > 0 && burstLimit > 0) {
    const decision = input.throttle.take(verdict.usageIdentifierKey, { rateLimit, burstLimit }, input.now());
    if (!decision.allowed) {
      return {
        ok: false,
        type: 'THROTTLED',
        headers: {
          'X-RateLimit-Limit': String(rateLimit),
          'Retry-After': String(decision.retryAfterSeconds),
        },
      };
    }
  }
  return {
    ok: true,
    apiKey: verdict.usageIdentifierKey,
    authorizer: {
      ...verdict.context,
      principalId: verdict.principalId,
      integrationLatency: Math.round(performance.now() - started),
    },
  };
}
