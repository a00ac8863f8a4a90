/**
 * The local stack's AWS identity, named once: the account id in every local ARN, queue URL and request
 * context, the region of its resources, and the credentials its emulators accept.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/topology.js';

/** Account id of local ARNs and queue URLs, as in LocalStack and the AWS docs' examples. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Region of the local stack's resources (ARNs, ElasticMQ queue ARNs, SigV4 scopes). */
export const LOCAL_REGION = 'us-east-1';

/** Credentials the emulators accept; never real ones, so a misrouted call cannot reach AWS. */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/** `.local/`: data, logs, bundles and the emulators of the local stack (ignored by git). */
export const LOCAL_DIR = join(REPO_ROOT, '.local');

/** `arn:aws:<service>:<region>:<account>:<resource>` in the local account. */
export function localArn(service: string, region: string, resource: string): string {
  return `arn:aws:${service}:${region}:${LOCAL_ACCOUNT_ID}:${resource}`;
}
