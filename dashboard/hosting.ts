/**
 * How the dashboard page is served, the same by the local stack (`local/dashboard-server.ts`) and by
 * CloudFront (`lib/constructs/dashboard-site.ts`): its `config.json`, and the security headers of every
 * response. The content security policy lets the page load only its own files and talk only to its own
 * origin (the REST API is proxied under `/v1/`) and to the WebSocket API.
 */
import type { DashboardConfig } from './src/types.js';

export type { DashboardConfig };

/** The file beside `index.html` that names this deployment's APIs. */
export const CONFIG_FILE = 'config.json';

/** The content security policy of the page, for the WebSocket API at `websocketUrl`. */
export function contentSecurityPolicy(websocketUrl: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${websocketUrl}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The folder of the built page's files named by their content hash (Vite's `assets/`). */
export const ASSETS_DIR = 'assets';

/**
 * How long a browser keeps a file: a hashed asset for good (its name changes with its content); the page
 * and the rest are asked again each time (`no-cache`: revalidated), so a deploy reaches a returning
 * visitor at once. Without a `Cache-Control` a browser guesses a lifetime from the file's age, and keeps
 * an `index.html` naming assets the deploy has pruned from the bucket.
 */
export const CACHE_CONTROL = {
  asset: 'public, max-age=31536000, immutable',
  page: 'no-cache',
} as const;

/** The other security headers (CloudFront's names them one by one; locally they are set as they are). */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;
