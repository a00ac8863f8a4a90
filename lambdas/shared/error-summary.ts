/**
 * What a log line may say about an error: its name, a short message and the codes that classify it.
 *
 * Never the error object itself. The Powertools logger writes every enumerable field of an error, and
 * the errors of the clients we use carry payloads: the OpenSearch client's `ResponseError` holds the
 * response body and the request (a whole `_bulk` body, hundreds of KB), its `SerializationError` holds
 * the object it failed to serialize (which, deep enough, made the logger itself overflow the stack).
 * Logging `errorSummary(error)` instead makes a payload in a log line impossible by construction.
 */

/** Longest message or reason kept in a log line. */
export const MAX_LOGGED_TEXT = 200;

export interface ErrorSummary {
  name: string;
  message: string;
  /** HTTP status, from an OpenSearch `ResponseError` or an AWS SDK error's metadata. */
  statusCode?: number;
  /** A Node.js system error code (`ECONNREFUSED`) or an OpenSearch error type. */
  code?: string;
}

/** The loggable summary of anything thrown. Reads named fields only; never throws. */
export function errorSummary(error: unknown): ErrorSummary {
  if (!(error instanceof Error)) {
    return {
      name: typeof error,
      message: boundedText(typeof error === 'string' ? error : 'non-error thrown'),
    };
  }
  const summary: ErrorSummary = { name: boundedText(error.name), message: boundedText(error.message) };
  const fields = error as Error & {
    statusCode?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    meta?: { body?: { error?: { type?: unknown } } };
  };
  const status = safely(() => fields.statusCode ?? fields.$metadata?.httpStatusCode);
  if (typeof status === 'number') summary.statusCode = status;
  const code = safely(() => fields.code ?? fields.meta?.body?.error?.type);
  if (typeof code === 'string') summary.code = boundedText(code);
  return summary;
}

/**
 * Text cut to a loggable length on one line. OpenSearch reasons quote the document ("Preview of field's
 * value: ..."), so reasons are cut too before they are logged.
 */
export function boundedText(text: string, max: number = MAX_LOGGED_TEXT): string {
  const line = String(text).replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max)}… (${line.length} characters)` : line;
}

/** Getters (the OpenSearch client's `statusCode` is one) may throw on a malformed error. */
function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
