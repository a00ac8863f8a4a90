/**
 * Custom resource `onEvent` handler that applies the events index template on deployment: thin adapter
 * over `template-installer-core.ts`. Invoked only by the CDK Provider framework, never on the event path.
 */
// @ts-expect-error api/http/put.js ships no declarations.
import put from '@opensearch-project/opensearch/api/http/put.js';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { loadOpenSearchConfig, requireEnv } from '../shared/config.js';
import { ENV } from '../shared/env-names.js';
import { logger } from '../shared/logger.js';
import { openSearchApi } from '../shared/opensearch-api.js';
import {
  type CustomResourceResult,
  installIndexTemplate,
  type TemplateInstallerDeps,
} from './template-installer-core.js';

const deps: TemplateInstallerDeps = {
  search: openSearchApi(loadOpenSearchConfig(), { http: { put } }),
  indexPrefix: requireEnv(ENV.eventsIndexPrefix),
  log: logger,
};

/** Lambda entry point of the index template installer. */
export async function handler(
  event: CloudFormationCustomResourceEvent,
  context: Context,
): Promise<CustomResourceResult> {
  logger.addContext(context);
  return installIndexTemplate(event, deps);
}
