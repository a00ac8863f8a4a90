/**
 * Query-string parsing shared by every stats route: each parameter is checked, and anything unknown,
 * repeated, malformed or out of range is a 400 that names it (`parameter` in the body). Nothing is
 * silently ignored or replaced by a default.
 */
import { BadRequestError } from '../shared/http.js';

/** The query of one request: one value per name (repeats are rejected). */
export type Query = Record<string, string>;

/** A 400 about one parameter, naming it in the body as `parameter`. */
export function invalid(parameter: string, message: string, details: Record<string, unknown> = {}): never {
  throw new BadRequestError(`${parameter}: ${message}`, { parameter, ...details });
}

/**
 * The request's query with every name checked against `allowed`. API Gateway passes repeated names in
 * `multiValueQueryStringParameters` and keeps only the last one in `queryStringParameters`.
 */
export function readQuery(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  allowed: readonly string[],
): Query {
  const names = new Set([...Object.keys(single ?? {}), ...Object.keys(multi ?? {})]);
  const unknown = [...names].filter((name) => !allowed.includes(name)).sort();
  if (unknown.length > 0) {
    throw new BadRequestError(
      `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name.slice(0, 64)}"`).join(', ')}; ${allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'this route takes no parameters'}`,
      { parameter: unknown[0]?.slice(0, 64), parameters: unknown.map((name) => name.slice(0, 64)), allowed },
    );
  }
  const query: Query = {};
  for (const name of names) {
    const values = multi?.[name] ?? [single?.[name] ?? ''];
    if (values.length > 1) invalid(name, 'is given more than once');
    query[name] = values[0] ?? '';
  }
  return query;
}

/** Whether the parameter was given (an empty value counts as given, and is then invalid). */
export function given(query: Query, name: string): boolean {
  return Object.hasOwn(query, name);
}

/** An integer parameter in `[min, max]`, or `fallback` when absent. */
export function integerParam(query: Query, name: string, min: number, max: number, fallback: number): number {
  if (!given(query, name)) return fallback;
  const raw = query[name] as string;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    invalid(name, `must be an integer from ${min} to ${max}; got "${raw.slice(0, 64)}"`);
  }
  return Number(raw);
}

/** `true` or `false`, or `fallback` when absent. */
export function booleanParam(query: Query, name: string, fallback: boolean): boolean {
  if (!given(query, name)) return fallback;
  const raw = query[name] as string;
  if (raw !== 'true' && raw !== 'false') invalid(name, `must be true or false; got "${raw.slice(0, 64)}"`);
  return raw === 'true';
}

/**
 * `allow_empty=true`: answer `200` with zero counts (or no events) where there is no data, instead of
 * the default `404`. For pages that poll: a browser shows every 404 as an error in its console.
 */
export const ALLOW_EMPTY_PARAM = 'allow_empty';

/** Whether the request asked for `200` instead of `404` when there is no data. */
export function allowsEmpty(query: Query): boolean {
  return booleanParam(query, ALLOW_EMPTY_PARAM, false);
}

/** One of `choices`, or `fallback` when absent. */
export function choiceParam<T extends string>(
  query: Query,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (!given(query, name)) return fallback;
  const raw = query[name] as string;
  if (!(choices as readonly string[]).includes(raw)) {
    invalid(name, `must be one of ${choices.join(', ')}; got "${raw.slice(0, 64)}"`, { allowed: choices });
  }
  return raw as T;
}

/** A string parameter of 1 to `maxLength` characters matching `pattern`, or `undefined` when absent. */
export function stringParam(
  query: Query,
  name: string,
  maxLength: number,
  pattern?: RegExp,
): string | undefined {
  if (!given(query, name)) return undefined;
  const raw = query[name] as string;
  if (raw.length === 0 || raw.length > maxLength) invalid(name, `must be 1 to ${maxLength} characters`);
  if (pattern && !pattern.test(raw)) invalid(name, `does not match ${pattern.source}`);
  return raw;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An ISO-8601 date-time with a time zone (`Z` or `±hh:mm`), as epoch milliseconds; with
 * `minutePrecision`, seconds and fractions must be zero. Impossible dates (`2026-02-30`) are invalid.
 */
export function instantParam(query: Query, name: string, minutePrecision: boolean): number | undefined {
  if (!given(query, name)) return undefined;
  const raw = query[name] as string;
  const match = DATE_TIME.exec(raw);
  const example = minutePrecision ? '2026-01-31T12:00Z' : '2026-01-31T12:00:00.000Z';
  if (!match)
    invalid(
      name,
      `must be an ISO-8601 date-time with a time zone, e.g. ${example}; got "${raw.slice(0, 64)}"`,
    );
  const [, year, month, day, hour, minute, second = '0', fraction = '0', zone, zoneHours, zoneMinutes] =
    match;
  const fields = [year, month, day, hour, minute].map(Number) as [number, number, number, number, number];
  const calendar = new Date(utcMidnight(fields[0], fields[1], fields[2]));
  const utc = calendar.getTime() + fields[3] * 3_600_000 + fields[4] * 60_000 + Number(second) * 1000;
  if (
    calendar.getUTCMonth() !== fields[1] - 1 ||
    calendar.getUTCDate() !== fields[2] ||
    fields[3] > 23 ||
    fields[4] > 59 ||
    Number(second) > 59 ||
    Number(zoneHours ?? 0) > 23 ||
    Number(zoneMinutes ?? 0) > 59
  ) {
    invalid(name, `is not a valid date-time: "${raw}"`);
  }
  if (minutePrecision && (Number(second) !== 0 || Number(fraction) !== 0)) {
    invalid(name, `must be at minute precision (no seconds), e.g. ${example}; got "${raw}"`);
  }
  const offsetMinutes =
    zone === 'Z' ? 0 : (zone?.startsWith('-') ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
  return utc + Math.floor(Number(`0.${fraction}`) * 1000) - offsetMinutes * 60_000;
}

/** A `YYYY-MM-DD` calendar date, as the epoch milliseconds of its UTC midnight. */
export function dateParam(query: Query, name: string): number | undefined {
  if (!given(query, name)) return undefined;
  const raw = query[name] as string;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (!match) invalid(name, `must be a date YYYY-MM-DD; got "${raw.slice(0, 64)}"`);
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const at = utcMidnight(year, month, day);
  const date = new Date(at);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    invalid(name, `is not a valid date: "${raw}"`);
  return at;
}

/** UTC midnight of a calendar date (month 1-12); `Date.UTC` would read years 0-99 as 1900-1999. */
function utcMidnight(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** ISO string of epoch milliseconds. */
export function iso(at: number): string {
  return new Date(at).toISOString();
}
