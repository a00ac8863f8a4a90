import { describe, expect, it } from 'vitest';
import type { RestRoute } from '../../../lib/topology.js';
import { requestUrl } from '../../../local/gateway/http-event.js';
import { malformedSegment, pathBelowStage, RestRoutes } from '../../../local/gateway/rest-routes.js';

const routes: RestRoute[] = [
  { method: 'POST', path: '/v1/events', functionId: 'ingest', apiKey: false },
  { method: 'GET', path: '/v1/accounts/{accountId}/summary', functionId: 'stats-api', apiKey: false },
  { method: 'GET', path: '/v1/accounts/me/summary', functionId: 'ingest', apiKey: false },
  { method: 'GET', path: '/files/{proxy+}', functionId: 'stats-api', apiKey: false },
];
const table = new RestRoutes(routes);

describe('RestRoutes.match', () => {
  it('finds the route and decodes its path parameters', () => {
    expect(table.match('GET', '/v1/accounts/acc%2D1%20x/summary')).toEqual({
      kind: 'found',
      route: routes[1],
      pathParameters: { accountId: 'acc-1 x' },
    });
  });

  it('prefers the more specific template, as API Gateway does', () => {
    expect(table.match('GET', '/v1/accounts/me/summary')).toMatchObject({ route: routes[2] });
  });

  it('lets a greedy {proxy+} span segments', () => {
    expect(table.match('GET', '/files/a/b%2Fc')).toMatchObject({ pathParameters: { proxy: 'a/b/c' } });
  });

  it('finds nothing for an unknown path or a method the resource lacks', () => {
    expect(table.match('GET', '/v1/nothing')).toEqual({ kind: 'not-found' });
    expect(table.match('DELETE', '/v1/events')).toEqual({ kind: 'not-found' });
  });

  it.each([
    '/v1/accounts/%/summary',
    '/v1/accounts/%zz/summary',
    '/v1/accounts/%E0%A4%A/summary',
    '/v1/%C3%28',
  ])('calls %s malformed instead of throwing', (path) => {
    // Act
    const match = table.match('GET', path);

    // Assess
    expect(match.kind).toBe('malformed');
    if (match.kind === 'malformed')
      expect(match.message).toMatch(/^Malformed percent-encoding in the request path/);
  });
});

describe('requestUrl', () => {
  it('reads a path that starts with two slashes as a path, not as a host and the rest', () => {
    // Act
    const paths = [
      '//evil.example/v1/events',
      '/v1//events',
      '/v1/events?key=1',
      'http://host/v1/health',
    ].map((url) => requestUrl({ url })?.pathname);

    // Assess
    expect(paths).toEqual(['//evil.example/v1/events', '/v1//events', '/v1/events', '/v1/health']);
  });
});

describe('malformedSegment', () => {
  it('is undefined for a well-formed path, escapes included', () => {
    expect(malformedSegment('/v1/a%20b/%E2%82%AC')).toBeUndefined();
  });

  it('names the first bad segment, shortened when long', () => {
    expect(malformedSegment('/ok/%zz/%')).toBe('%zz');
    expect(malformedSegment(`/${'a'.repeat(100)}%`)).toBe(`${'a'.repeat(64)}…`);
  });
});

describe('pathBelowStage', () => {
  it.each([
    ['/prod/v1/events', '/v1/events'],
    ['/prod', '/'],
    ['/v1/events/', '/v1/events'],
    ['/production/v1', '/production/v1'],
    ['/', '/'],
  ])('turns %s into %s', (pathname, expected) => {
    expect(pathBelowStage(pathname, 'prod')).toBe(expected);
  });
});
