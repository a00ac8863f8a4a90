/**
 * The REST API's CORS policy, in one place for the three that answer browsers: the functions (their
 * proxy results), API Gateway (the preflight, and its own error answers: without CORS headers a browser
 * hides a 401 or 429 from the page as a network error) and the local gateway, which emulates both.
 *
 * Origins are a setting (`corsAllowedOrigins` in lib/stacks/pipeline-settings.ts, `CORS_ALLOWED_ORIGINS`
 * for the functions): `*` by default, since write keys are meant to sit in web pages and no cookie is
 * ever read, or a list of origins, each answered with itself.
 */

/**
 * Request headers a page may send: the key, what says how the body is encoded, and the live token the
 * stats routes also read with (so a page on another origin can show an account's stats without holding
 * its read key).
 */
export const CORS_ALLOW_HEADERS = ['Content-Type', 'Content-Encoding', 'X-Api-Key', 'X-Live-Token'] as const;
/** Methods of the REST API. */
export const CORS_ALLOW_METHODS = ['GET', 'POST', 'OPTIONS'] as const;
/** Response headers a page may read beyond the CORS-safelisted ones: the rate-limit answers. */
export const CORS_EXPOSE_HEADERS = [
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
] as const;
/** How long a browser may cache a preflight answer (Chromium's own cap is 2 hours). */
export const CORS_MAX_AGE_SECONDS = 7200;

/** Every origin. */
export const ANY_ORIGIN = '*';

/**
 * The allowed origins out of a setting: `*`, or a comma-separated list of origins such as
 * `https://app.example.com,https://www.example.com`. Throws on anything else, naming it.
 */
export function parseAllowedOrigins(setting: string, name: string): string[] {
  const origins = setting
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  if (origins.length === 0) throw new Error(`${name} must be "*" or a list of origins, got "${setting}"`);
  if (origins.includes(ANY_ORIGIN)) {
    if (origins.length > 1) throw new Error(`${name} cannot mix "*" with origins, got "${setting}"`);
    return [ANY_ORIGIN];
  }
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      // A browser sends its origin serialized (lower case, no default port, no slash), and it is
      // compared as a string: say which spelling would match rather than only refuse.
      const spelling = parsed && parsed.origin !== 'null' ? `; browsers send it as "${parsed.origin}"` : '';
      throw new Error(
        `${name}: "${origin}" is not an origin (scheme://host[:port], no path or trailing slash)${spelling}`,
      );
    }
  }
  return origins;
}

/** The `Access-Control-Allow-Origin` for a request from `origin`, or undefined when it is not allowed. */
export function allowedOrigin(allowed: readonly string[], origin: string | undefined): string | undefined {
  if (allowed.includes(ANY_ORIGIN)) return ANY_ORIGIN;
  return origin !== undefined && allowed.includes(origin) ? origin : undefined;
}

/** The CORS headers of an actual (not preflight) response to a request from `origin`. */
export function corsResponseHeaders(
  allowed: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  // The answer depends on the request's origin unless every origin is allowed: caches must know.
  if (!allowed.includes(ANY_ORIGIN)) headers.Vary = 'Origin';
  const allow = allowedOrigin(allowed, origin);
  if (allow === undefined) return headers;
  headers['Access-Control-Allow-Origin'] = allow;
  headers['Access-Control-Expose-Headers'] = CORS_EXPOSE_HEADERS.join(',');
  return headers;
}

/**
 * The headers of a preflight (OPTIONS) answer to a request from `origin`. An origin not in the list is
 * answered with the first one, as API Gateway's mock integration answers it (its mapping template can
 * only replace a default): the browser refuses the mismatch all the same.
 */
export function corsPreflightHeaders(
  allowed: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  return {
    ...(allowed.includes(ANY_ORIGIN) ? {} : { Vary: 'Origin' }),
    'Access-Control-Allow-Origin': allowedOrigin(allowed, origin) ?? (allowed[0] as string),
    'Access-Control-Allow-Methods': CORS_ALLOW_METHODS.join(','),
    'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS.join(','),
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
  };
}
