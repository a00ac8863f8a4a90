/**
 * Stands in for `ms` in the function bundles, through `ms.cts` (an esbuild alias: `BUNDLING.alias` in
 * lib/topology.ts). Its one caller there is opensearch-js's Transport, which turns a timeout given as
 * text (`'30s'`) into milliseconds; `ms` also formats milliseconds as text (`'2h'`), which nothing in
 * the functions asks of it (debug did, and is replaced too: debug-log.ts). Text is read as `ms` reads
 * it: a number, optional spaces and a unit from milliseconds to years (365.25 days), case-insensitive,
 * milliseconds when none; anything else is `undefined`.
 */

/** A duration as `ms` reads it: a number, optional spaces, and one of the spellings of a unit. */
const DURATION =
  /^(-?\d*\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i;

/** Milliseconds per unit, by the first letter of its spellings (milliseconds apart: `ms`, `msec`, `millisecond`). */
const MS_PER_UNIT: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 315576e5 };

/** `ms(text)`: the milliseconds a duration such as `'30s'` or `'1.5 hours'` names. */
export function ms(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0) {
    throw new Error('ms (lambdas/shared/duration.ts) reads durations from text only');
  }
  const match = text.length <= 100 ? DURATION.exec(text) : null;
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms').toLowerCase();
  const perUnit = /^(ms|mil)/.test(unit) ? 1 : (MS_PER_UNIT[unit[0] as string] as number);
  return Number.parseFloat(match[1] as string) * perUnit;
}
