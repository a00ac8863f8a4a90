/**
 * The libraries opensearch-js requires that the function bundles replace with stand-ins
 * (`BUNDLING.alias` in lib/topology.ts), loaded from where opensearch-js loads them, so a test compares
 * a stand-in with the very version it replaces. They ship no declarations: the interfaces say what the
 * tests use of them.
 */
import { createRequire } from 'node:module';

const requireAsOpenSearch = createRequire(
  createRequire(import.meta.url).resolve('@opensearch-project/opensearch'),
);

export interface Aws4 {
  sign<R extends object>(
    request: R,
    credentials?: object,
  ): R & { headers: Record<string, unknown>; path: string };
}

export interface RealDebug {
  (namespace: string): { (...args: unknown[]): void; enabled: boolean; namespace: string };
  enable(namespaces: string): void;
  enabled(namespace: string): boolean;
  disable(): string;
}

export const realAws4 = requireAsOpenSearch('aws4') as Aws4;
export const realDebug = requireAsOpenSearch('debug') as RealDebug;
export const realMs = requireAsOpenSearch('ms') as (text: string) => number | undefined;
