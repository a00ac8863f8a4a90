/**
 * Applies the events index template to OpenSearch as a CloudFormation custom resource (the `onEvent`
 * handler of an `aws-cdk-lib/custom-resources` Provider), so the template is in the domain before the
 * indexer's event source mapping exists and the first daily index is never created with dynamic mappings.
 *
 * - Create / Update: `PUT _index_template/<name>` with `eventsIndexTemplate(prefix, replicas)`, the
 *   replicas from the resource property `Replicas` (the stack derives them from its data nodes). The stack
 *   passes a hash of the template body as a resource property, so changing the template causes an Update.
 * - Delete: nothing. The template stays: indices created from it may still exist and keep receiving
 *   writes until the stack is gone, and a template without the stack harms nobody.
 *
 * The physical id is the template name, so an Update never replaces the resource (a replacement would
 * make CloudFormation send a Delete for the old id).
 *
 * No runtime import of the OpenSearch client here: the CDK construct imports `eventsIndexTemplateHash`.
 */
import { createHash } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Log } from '../shared/logger.js';
import { realTiming, retryPending, type Timing } from '../shared/retry.js';
import { EVENTS_INDEX_TEMPLATE_NAME, eventsIndexTemplate } from './index-template.js';

/**
 * The slice of the OpenSearch client the installer uses; the real client satisfies it. `http.put` rather
 * than `indices.putIndexTemplate`, which sends a POST: the installer's role is granted `es:ESHttpPut`
 * (and `es:ESHttpGet`) on the template path only, not `es:ESHttpPost`.
 */
export interface IndexTemplateApi {
  http: {
    put(params: {
      path: string;
      body: Record<string, unknown>;
    }): Promise<{ statusCode?: number | null; body: unknown }>;
  };
}

export interface TemplateInstallerDeps {
  /** SigV4-signed in AWS; the client retries connection errors, timeouts and 502/503/504 itself. */
  search: IndexTemplateApi;
  indexPrefix: string;
  log: Log;
  /** Clock and sleep of the waits for the installer's permissions (`realTiming` when absent). */
  timing?: Timing;
}

/**
 * How long a refusal of the installer's own identity (401, 403) is retried before the deployment fails.
 * IAM is eventually consistent: a role or policy created in the same deployment can take seconds to be
 * honoured by the domain, and failing here rolls the whole deployment back after the domain's ~20
 * minutes of creation. Any other refusal fails at once; a wrong policy still fails, a minute later.
 */
export const PERMISSION_WAIT_MS = 60_000;
const PERMISSION_BACKOFF = { baseDelayMs: 2_000, maxDelayMs: 15_000 };

/** What the Provider framework expects back from `onEvent`. */
export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

/** Longest response body quoted in an error: CloudFormation's failure reason must stay under 4 KB. */
const MAX_QUOTED_BODY = 1_000;

/** OpenSearch answered, but refused the template (e.g. an unknown field type): a deployment must fail. */
export class IndexTemplateRejectedError extends Error {
  constructor(
    readonly templateName: string,
    readonly statusCode: number | undefined,
    readonly responseBody: unknown,
  ) {
    super(
      `OpenSearch rejected index template "${templateName}" (HTTP ${statusCode ?? 'unknown'}): ${quote(responseBody)}`,
    );
    this.name = 'IndexTemplateRejectedError';
  }
}

/**
 * SHA-256 of the template body as it is sent. The stack puts it on the custom resource, so any change
 * to `eventsIndexTemplate` changes a property and CloudFormation re-applies the template.
 */
export function eventsIndexTemplateHash(prefix: string, replicas = 0): string {
  return createHash('sha256')
    .update(JSON.stringify(eventsIndexTemplate(prefix, replicas)))
    .digest('hex');
}

/** Handles one custom resource event; throws (failing the deployment) when the template is not applied. */
export async function installIndexTemplate(
  event: CloudFormationCustomResourceEvent,
  deps: TemplateInstallerDeps,
): Promise<CustomResourceResult> {
  const name = EVENTS_INDEX_TEMPLATE_NAME;
  if (event.RequestType === 'Delete') {
    deps.log.info('Keeping the index template on delete', { templateName: name });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }

  const applied = await applyOncePermitted(deps, replicasOf(event));
  deps.log.info('Applied the index template', { requestType: event.RequestType, ...applied });
  return {
    PhysicalResourceId: name,
    Data: { TemplateName: name, TemplateHash: applied.templateHash },
  };
}

/** `applyEventsIndexTemplate`, retried while the domain refuses the installer's identity (`PERMISSION_WAIT_MS`). */
async function applyOncePermitted(
  deps: TemplateInstallerDeps,
  replicas: number,
): ReturnType<typeof applyEventsIndexTemplate> {
  const timing = deps.timing ?? realTiming;
  let applied: Awaited<ReturnType<typeof applyEventsIndexTemplate>> | undefined;
  let refusal: unknown;
  await retryPending(
    [replicas],
    async (pending, attempt) => {
      try {
        applied = await applyEventsIndexTemplate(deps.search, deps.indexPrefix, replicas);
        return [];
      } catch (error) {
        if (!isPermissionRefusal(error)) throw error;
        refusal = error;
        deps.log.warn('OpenSearch refused the installer; waiting for its permissions to propagate', {
          attempt,
          statusCode: error.statusCode,
        });
        return pending;
      }
    },
    { deadline: timing.now() + PERMISSION_WAIT_MS, backoff: PERMISSION_BACKOFF, timing },
  );
  if (!applied) throw refusal;
  return applied;
}

function isPermissionRefusal(error: unknown): error is IndexTemplateRejectedError {
  return (
    error instanceof IndexTemplateRejectedError && (error.statusCode === 401 || error.statusCode === 403)
  );
}

/**
 * PUTs the events index template and checks that OpenSearch acknowledged it; throws otherwise. The one
 * way the template is applied: by this installer on deployment, and by the local stack's provisioning.
 */
export async function applyEventsIndexTemplate(
  search: IndexTemplateApi,
  indexPrefix: string,
  replicas = 0,
): Promise<{ templateName: string; indexPatterns: string[]; templateHash: string }> {
  const name = EVENTS_INDEX_TEMPLATE_NAME;
  const body = eventsIndexTemplate(indexPrefix, replicas);
  let response: Awaited<ReturnType<IndexTemplateApi['http']['put']>>;
  try {
    response = await search.http.put({ path: `/_index_template/${encodeURIComponent(name)}`, body });
  } catch (error) {
    if (isResponseError(error)) throw new IndexTemplateRejectedError(name, error.statusCode, error.body);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not apply index template "${name}": OpenSearch did not answer (${reason})`, {
      cause: error,
    });
  }
  // A 2xx without `acknowledged: true` means the cluster did not accept the change; treat it as a refusal.
  if (!isAcknowledged(response.body)) {
    throw new IndexTemplateRejectedError(name, response.statusCode ?? undefined, response.body);
  }
  return {
    templateName: name,
    indexPatterns: body.index_patterns,
    templateHash: eventsIndexTemplateHash(indexPrefix, replicas),
  };
}

/**
 * The `Replicas` property (CloudFormation hands custom resources every property as a string); absent in
 * a resource deployed before the property existed, which had no replicas.
 */
function replicasOf(event: CloudFormationCustomResourceEvent): number {
  const raw: unknown = event.ResourceProperties.Replicas;
  if (raw === undefined) return 0;
  const replicas = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(replicas))
    throw new Error(`Custom::EventsIndexTemplate property Replicas must be a whole number, got "${raw}"`);
  return replicas;
}

/** The client's `ResponseError`: OpenSearch answered with a status >= 400 (after its own retries). */
function isResponseError(error: unknown): error is Error & { statusCode?: number; body?: unknown } {
  return error instanceof Error && error.name === 'ResponseError';
}

function isAcknowledged(body: unknown): boolean {
  return (
    typeof body === 'object' && body !== null && (body as { acknowledged?: unknown }).acknowledged === true
  );
}

function quote(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (text === undefined) return '(no body)';
  return text.length > MAX_QUOTED_BODY ? `${text.slice(0, MAX_QUOTED_BODY)}... (truncated)` : text;
}
