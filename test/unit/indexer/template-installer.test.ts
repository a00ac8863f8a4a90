import { createHash } from 'node:crypto';
import { errors } from '@opensearch-project/opensearch';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EVENTS_INDEX_TEMPLATE_NAME, eventsIndexTemplate } from '../../../lambdas/indexer/index-template.js';
import {
  eventsIndexTemplateHash,
  type IndexTemplateApi,
  IndexTemplateRejectedError,
  installIndexTemplate,
  PERMISSION_WAIT_MS,
  type TemplateInstallerDeps,
} from '../../../lambdas/indexer/template-installer-core.js';
import { silentLog } from '../../helpers/factories.js';

type PutCall = Parameters<IndexTemplateApi['http']['put']>[0];

/** A fake OpenSearch client: records every PUT and answers with `answer`. */
function fakeSearch(
  answer: () => Promise<{ statusCode?: number; body: unknown }> = async () => ({
    statusCode: 200,
    body: { acknowledged: true },
  }),
): IndexTemplateApi & { calls: PutCall[] } {
  const calls: PutCall[] = [];
  return {
    calls,
    http: {
      async put(params) {
        calls.push(params);
        return answer();
      },
    },
  };
}

/** The client's own `ResponseError`, as it throws it for a status >= 400 (after its own retries). */
function responseError(statusCode: number, body: Record<string, unknown>): Error {
  return new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} as never });
}

/** A CloudFormation custom resource event as the Provider framework passes it on. */
function customResourceEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  physicalResourceId = EVENTS_INDEX_TEMPLATE_NAME,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:framework-onEvent',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/EventPipeline/1',
    RequestId: 'request-1',
    LogicalResourceId: 'EventsIndexTemplate',
    ResourceType: 'Custom::EventsIndexTemplate',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:framework-onEvent',
      TemplateName: EVENTS_INDEX_TEMPLATE_NAME,
      TemplateHash: eventsIndexTemplateHash('events'),
    },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: physicalResourceId,
      OldResourceProperties: { ...common.ResourceProperties, TemplateHash: 'previous' },
    };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalResourceId };
}

/** A clock that moves only when the installer sleeps. */
function fakeTiming() {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    random: () => 0.99,
  };
}

function deps(search: IndexTemplateApi, timing = fakeTiming()): TemplateInstallerDeps {
  return { search, indexPrefix: 'events', log: silentLog, timing };
}

describe('installIndexTemplate', () => {
  it.each(['Create', 'Update'] as const)(
    'on %s, puts the events template and answers with the template name as a stable physical id',
    async (requestType) => {
      // Prepare
      const search = fakeSearch();

      // Act
      const result = await installIndexTemplate(customResourceEvent(requestType), deps(search));

      // Assess
      expect(search.calls).toEqual([
        { path: `/_index_template/${EVENTS_INDEX_TEMPLATE_NAME}`, body: eventsIndexTemplate('events') },
      ]);
      expect(result).toEqual({
        PhysicalResourceId: EVENTS_INDEX_TEMPLATE_NAME,
        Data: { TemplateName: EVENTS_INDEX_TEMPLATE_NAME, TemplateHash: eventsIndexTemplateHash('events') },
      });
    },
  );

  it('applies the template for the configured index prefix', async () => {
    // Prepare
    const search = fakeSearch();

    // Act
    await installIndexTemplate(customResourceEvent('Create'), {
      ...deps(search),
      indexPrefix: 'staging-events',
    });

    // Assess
    expect(search.calls[0]?.body).toMatchObject({
      index_patterns: ['staging-events-*', 'staging-events_registry-*'],
    });
  });

  it('gives the indices the replicas of the resource property Replicas, and hashes what it sent', async () => {
    // Prepare
    const search = fakeSearch();
    const event = customResourceEvent('Update');
    event.ResourceProperties.Replicas = '1';

    // Act
    const result = await installIndexTemplate(event, deps(search));

    // Assess
    expect(search.calls[0]?.body).toMatchObject({ template: { settings: { number_of_replicas: 1 } } });
    expect(result.Data?.TemplateHash).toBe(eventsIndexTemplateHash('events', 1));
    expect(eventsIndexTemplateHash('events', 1)).not.toBe(eventsIndexTemplateHash('events', 0));
  });

  it.each(['', '-1', '1.5', 'one'])('fails the deployment on Replicas "%s", sending nothing', async (raw) => {
    // Prepare
    const search = fakeSearch();
    const event = customResourceEvent('Create');
    event.ResourceProperties.Replicas = raw;

    // Act
    const attempt = installIndexTemplate(event, deps(search));

    // Assess
    await expect(attempt).rejects.toThrow(`property Replicas must be a whole number, got "${raw}"`);
    expect(search.calls).toEqual([]);
  });

  it('keeps the template on Delete: no request, and the physical id it was given', async () => {
    // Prepare
    const search = fakeSearch();

    // Act
    const result = await installIndexTemplate(customResourceEvent('Delete', 'events'), deps(search));

    // Assess
    expect(search.calls).toEqual([]);
    expect(result).toEqual({ PhysicalResourceId: 'events' });
  });

  it('fails the deployment with the status and body when OpenSearch rejects the template', async () => {
    // Prepare
    const body = {
      error: {
        type: 'mapper_parsing_exception',
        reason: 'No handler for type [flat_object] declared on field [properties]',
      },
      status: 400,
    };
    const search = fakeSearch(async () => {
      throw responseError(400, body);
    });

    // Act
    const attempt = installIndexTemplate(customResourceEvent('Create'), deps(search));

    // Assess: a refusal of the template itself is not retried
    await expect(attempt).rejects.toBeInstanceOf(IndexTemplateRejectedError);
    expect(search.calls).toHaveLength(1);
    await expect(attempt).rejects.toThrow(
      `OpenSearch rejected index template "events" (HTTP 400): ${JSON.stringify(body)}`,
    );
  });

  it("waits while the domain refuses the installer's new permissions (IAM propagation), then applies", async () => {
    // Prepare: two 403s, as while a policy created in the same deployment propagates
    let answers = 0;
    const search = fakeSearch(async () => {
      answers += 1;
      if (answers <= 2)
        throw responseError(403, { message: 'no permissions for [indices:admin/template/put]' });
      return { statusCode: 200, body: { acknowledged: true } };
    });
    const timing = fakeTiming();

    // Act
    const result = await installIndexTemplate(customResourceEvent('Create'), deps(search, timing));

    // Assess
    expect(result.PhysicalResourceId).toBe(EVENTS_INDEX_TEMPLATE_NAME);
    expect(search.calls).toHaveLength(3);
    expect(timing.slept).toHaveLength(2);
  });

  it('fails with the 403 once the permissions wait is over: a wrong policy still fails the deployment', async () => {
    // Prepare
    const search = fakeSearch(async () => {
      throw responseError(403, { message: 'no permissions' });
    });
    const timing = fakeTiming();

    // Act
    const attempt = installIndexTemplate(customResourceEvent('Create'), deps(search, timing));

    // Assess
    await expect(attempt).rejects.toThrow('OpenSearch rejected index template "events" (HTTP 403)');
    expect(search.calls.length).toBeGreaterThan(2);
    expect(timing.now()).toBeLessThanOrEqual(PERMISSION_WAIT_MS);
    expect(timing.now()).toBeGreaterThan(PERMISSION_WAIT_MS / 2);
  });

  it('fails when OpenSearch answers without acknowledging the template', async () => {
    // Prepare
    const search = fakeSearch(async () => ({ statusCode: 200, body: { acknowledged: false } }));

    // Act
    const attempt = installIndexTemplate(customResourceEvent('Update'), deps(search));

    // Assess
    await expect(attempt).rejects.toThrow(
      'OpenSearch rejected index template "events" (HTTP 200): {"acknowledged":false}',
    );
  });

  it('keeps a huge error body short enough for a CloudFormation failure reason', async () => {
    // Prepare
    const search = fakeSearch(async () => {
      throw responseError(400, { error: { reason: 'x'.repeat(10_000) } });
    });

    // Act
    const attempt = installIndexTemplate(customResourceEvent('Create'), deps(search));

    // Assess
    await expect(attempt).rejects.toThrow(
      /^OpenSearch rejected index template "events" \(HTTP 400\): .{1000}\.\.\. \(truncated\)$/,
    );
  });

  it('fails naming the cause when OpenSearch cannot be reached (after the client has retried)', async () => {
    // Prepare
    const cause = Object.assign(new Error('Request timed out'), { name: 'TimeoutError' });
    const search = fakeSearch(async () => {
      throw cause;
    });

    // Act
    const attempt = installIndexTemplate(customResourceEvent('Create'), deps(search));

    // Assess
    await expect(attempt).rejects.toThrow(
      'Could not apply index template "events": OpenSearch did not answer (Request timed out)',
    );
    await expect(attempt).rejects.toMatchObject({ cause });
  });
});

describe('eventsIndexTemplateHash', () => {
  it('is the SHA-256 of the template body as it is sent', () => {
    // Act
    const hash = eventsIndexTemplateHash('events');

    // Assess
    expect(hash).toBe(
      createHash('sha256')
        .update(JSON.stringify(eventsIndexTemplate('events')))
        .digest('hex'),
    );
  });

  it('changes when the template does', () => {
    // Act & Assess
    expect(eventsIndexTemplateHash('events')).not.toBe(eventsIndexTemplateHash('archive'));
  });
});
