/**
 * Typed HTTP errors and the one mapper from results and errors to API Gateway proxy results. Cores
 * throw these; handlers map them; nothing else builds status codes.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { errorSummary } from './error-summary.js';
import type { Log } from './logger.js';

/** An error that is the client's answer: a status code and a JSON body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(400, message, details);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'missing or unknown API key') {
    super(401, message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(413, message, details);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(415, message, details);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(
    message: string,
    retryAfterSeconds: number,
    details: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(
      429,
      message,
      { ...details, retry_after_seconds: retryAfterSeconds },
      { ...headers, ...retryAfter(retryAfterSeconds) },
    );
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds: number, details: Record<string, unknown> = {}) {
    super(
      503,
      message,
      { ...details, retry_after_seconds: retryAfterSeconds },
      retryAfter(retryAfterSeconds),
    );
  }
}

function retryAfter(seconds: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) };
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };

/** A JSON proxy result. */
export function jsonResult(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * Maps an error to a proxy result: `HttpError`s become their status with `{message, ...details}`;
 * anything else is logged and becomes a 500 that does not leak internals.
 */
export function errorResult(error: unknown, log: Log): APIGatewayProxyResult {
  if (error instanceof HttpError) {
    return jsonResult(error.statusCode, { message: error.message, ...error.details }, error.headers);
  }
  log.error('unhandled error', { error: errorSummary(error) });
  return jsonResult(500, { message: 'internal error' });
}

/** Looks a header up case-insensitively (API Gateway passes them as the client sent them). */
export function headerValue(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
