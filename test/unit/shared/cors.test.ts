/** The one CORS policy of the REST API: allowed origins from a setting, preflight and response headers. */
import { describe, expect, it } from 'vitest';
import {
  allowedOrigin,
  corsPreflightHeaders,
  corsResponseHeaders,
  parseAllowedOrigins,
} from '../../../lambdas/shared/cors.js';

describe('allowed origins', () => {
  it('reads "*" or a list of origins, refusing a mix or nothing', () => {
    expect(parseAllowedOrigins('*', 'CORS_ALLOWED_ORIGINS')).toEqual(['*']);
    expect(parseAllowedOrigins(' https://a.example.com , https://b.example.com ', 'X')).toEqual([
      'https://a.example.com',
      'https://b.example.com',
    ]);
    expect(() => parseAllowedOrigins('*,https://a.example.com', 'X')).toThrow(
      'X cannot mix "*" with origins',
    );
    expect(() => parseAllowedOrigins(' , ', 'X')).toThrow('X must be "*" or a list of origins');
  });

  it.each([
    ['upper case', 'https://App.Example.com', 'https://app.example.com'],
    ['a default port', 'https://app.example.com:443', 'https://app.example.com'],
    ['a trailing slash', 'https://app.example.com/', 'https://app.example.com'],
    ['a path', 'http://localhost:5173/app', 'http://localhost:5173'],
  ])('refuses an origin spelled with %s, naming the spelling browsers send', (_case, setting, sent) => {
    expect(() => parseAllowedOrigins(setting, 'X')).toThrow(
      `X: "${setting}" is not an origin (scheme://host[:port], no path or trailing slash); browsers send it as "${sent}"`,
    );
  });

  it('refuses what is no origin at all without suggesting one', () => {
    expect(() => parseAllowedOrigins('app.example.com', 'X')).toThrow(
      /^X: "app.example.com" is not an origin \(scheme:\/\/host\[:port\], no path or trailing slash\)$/,
    );
  });

  it('answers an allowed origin with itself, any origin with "*", and a stranger with nothing', () => {
    const shop = ['https://shop.example.com'];
    expect(allowedOrigin(['*'], 'https://anyone.example.com')).toBe('*');
    expect(allowedOrigin(shop, 'https://shop.example.com')).toBe('https://shop.example.com');
    expect(allowedOrigin(shop, 'https://evil.example.com')).toBeUndefined();
    expect(allowedOrigin(shop, undefined)).toBeUndefined();
  });
});

describe('CORS headers', () => {
  it('let a page read the answer and the rate-limit headers, varying by origin when origins are listed', () => {
    expect(corsResponseHeaders(['*'], 'https://a.example.com')).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers':
        'Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset',
    });
    expect(corsResponseHeaders(['https://a.example.com'], 'https://evil.example.com')).toEqual({
      Vary: 'Origin',
    });
  });

  it('answer a preflight with the methods and the headers a page sends: key, encoding, live token', () => {
    expect(corsPreflightHeaders(['https://a.example.com'], 'https://a.example.com')).toEqual({
      Vary: 'Origin',
      'Access-Control-Allow-Origin': 'https://a.example.com',
      'Access-Control-Allow-Methods': 'GET,POST,OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type,Content-Encoding,X-Api-Key,X-Live-Token',
      'Access-Control-Max-Age': '7200',
    });
  });
});
