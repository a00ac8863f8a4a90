/**
 * The credential provider of the function bundles, standing in for `@aws-sdk/credential-provider-node`
 * (an esbuild alias: `BUNDLING.alias` in lib/topology.ts). Lambda hands a function its role's
 * credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, which is the
 * first source the default chain tries; the rest of the chain (SSO, STS web identity, the login and
 * instance-metadata providers, with the nested SSO, STS and sign-in clients they need) can never answer
 * inside Lambda and weighs about 90 KB of every bundle. The local stack sets the same variables.
 * Code run outside a bundle (tests, the CLI) keeps the real default chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same name and call shape as the default chain's `defaultProvider`, reading the environment only. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
