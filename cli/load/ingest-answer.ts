/**
 * What ingest answered a load request, read as a careful client reads it: the status, the events a 202,
 * 400 or 503 names as rejected (with why), the events to send again (those a 503 names as unwritten;
 * all of them after a 429, another 5xx or no answer), and how long to wait first (`Retry-After`).
 */

const REQUEST_TIMEOUT_MS = 30_000;

export interface Answer {
  status?: number;
  body?: Record<string, unknown>;
  retryAfterSeconds?: number;
  reason: string;
}

export async function post(url: string, key: string, events: Record<string, unknown>[]): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      ...(body ? { body } : {}),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      reason: typeof body?.message === 'string' ? body.message.slice(0, 200) : `HTTP ${response.status}`,
    };
  } catch (error) {
    return { reason: `${(error as Error).name}: ${(error as Error).message}`.slice(0, 200) };
  }
}

/** Index -> why, for the events a 2xx/4xx/503 body names as rejected. */
export function rejectionsOf(body: Record<string, unknown> | undefined): Map<number, string> {
  const rejections = new Map<number, string>();
  const list = Array.isArray(body?.rejected)
    ? (body.rejected as { index?: number; errors?: { path?: string; message?: string }[] }[])
    : [];
  for (const entry of list) {
    if (typeof entry.index !== 'number') continue;
    const first = entry.errors?.[0];
    rejections.set(entry.index, first ? `${first.path || '(event)'}: ${first.message}` : 'rejected');
  }
  return rejections;
}

/**
 * The events to send again: those a 503 names as unwritten, or all of them for a 429, another 5xx or
 * no answer (nothing of the request is known to be written; resending the same ids is safe).
 */
export function retryableIndexes(answer: Answer, count: number): Set<number> {
  const all = () => new Set(Array.from({ length: count }, (_, index) => index));
  if (answer.status === undefined || answer.status === 429) return all();
  if (answer.status === 503 && Array.isArray(answer.body?.failed)) {
    return new Set(
      (answer.body.failed as { index?: number }[]).flatMap((entry) =>
        typeof entry.index === 'number' ? [entry.index] : [],
      ),
    );
  }
  return answer.status >= 500 ? all() : new Set();
}

/**
 * Whether the events an answer names neither as rejected nor as unwritten were written: a 2xx, or a 503
 * that lists what it could not write (its `accepted` are the rest), whichever attempt it answers.
 */
export function acknowledgesTheRest(answer: Answer): boolean {
  if (answer.status === undefined) return false;
  return answer.status < 300 || (answer.status === 503 && Array.isArray(answer.body?.failed));
}

export function retryDelayMs(answer: Answer, attempt: number): number {
  // Never sooner than asked; a little later, at random, so requests refused together do not all come
  // back in the same millisecond to be refused together again.
  if (answer.retryAfterSeconds) return answer.retryAfterSeconds * 1000 * (1 + Math.random() / 4);
  return Math.min(5_000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
}
