/**
 * How the local REST API finds the route of a request, as API Gateway does: the path without the stage,
 * matched against the resource templates (`{name}` is one segment, `{proxy+}` the rest), the most
 * specific template first, and path parameters percent-decoded. A path whose percent-encoding is
 * malformed (`/v1/accounts/%/summary`, `%zz`) is a client error. Pure: no server here.
 */
import type { RestRoute } from '../../lib/topology.js';

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
  /** Literal segments: the more, the more specific, which API Gateway prefers. */
  literals: number;
}

export type RouteMatch =
  | { kind: 'found'; route: RestRoute; pathParameters: Record<string, string> }
  /** No resource has this path, or it lacks this method: API Gateway answers both the same way. */
  | { kind: 'not-found' }
  | { kind: 'malformed'; message: string };

export class RestRoutes {
  readonly #routes: CompiledRoute[];

  constructor(routes: RestRoute[]) {
    this.#routes = routes.map(compileRoute).sort((a, b) => b.literals - a.literals);
  }

  /** Whether any route has this path, whatever its method (a CORS preflight asks about a path). */
  hasPath(path: string): boolean {
    return this.#routes.some((compiled) => compiled.pattern.test(path));
  }

  /** The route for `method` and `path` (already without the stage, see `pathBelowStage`). */
  match(method: string | undefined, path: string): RouteMatch {
    const malformed = malformedSegment(path);
    if (malformed !== undefined) {
      return {
        kind: 'malformed',
        message: `Malformed percent-encoding in the request path: segment "${malformed}" is not valid (use %XX with two hex digits, e.g. %25 for "%")`,
      };
    }
    for (const compiled of this.#routes) {
      if (compiled.route.method !== method) continue;
      const found = compiled.pattern.exec(path);
      if (!found) continue;
      const pathParameters = Object.fromEntries(
        compiled.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]),
      );
      return { kind: 'found', route: compiled.route, pathParameters };
    }
    return { kind: 'not-found' };
  }
}

/**
 * The path routes are matched on: without the `/<stage>` prefix a deployed URL carries, and without a
 * trailing slash.
 */
export function pathBelowStage(pathname: string, stage: string): string {
  const stagePrefix = `/${stage}`;
  let path = pathname;
  if (path === stagePrefix || path.startsWith(`${stagePrefix}/`))
    path = path.slice(stagePrefix.length) || '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** The first segment of `path` that does not percent-decode, truncated for messages, if any. */
export function malformedSegment(path: string): string | undefined {
  for (const segment of path.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      return segment.length > 64 ? `${segment.slice(0, 64)}…` : segment;
    }
  }
  return undefined;
}

function compileRoute(route: RestRoute): CompiledRoute {
  const names: string[] = [];
  let literals = 0;
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+)?\}$/.exec(segment);
      if (!param) {
        literals += 1;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(param[1] as string);
      // `{proxy+}` is greedy across segments; `{name}` is one segment.
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, literals };
}
