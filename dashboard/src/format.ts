/** How numbers and times read on the page. */

const integer = new Intl.NumberFormat('en-US');

/** 1234567 -> "1,234,567". */
export function formatCount(value: number): string {
  return integer.format(value);
}

/** 1234 -> "1.2k", 1234567 -> "1.2M": for tight places (chips, axis). */
export function formatCompact(value: number): string {
  if (value < 1000) return String(value);
  const [divisor, suffix] = value < 1e6 ? [1e3, 'k'] : value < 1e9 ? [1e6, 'M'] : [1e9, 'G'];
  const scaled = value / divisor;
  return `${scaled < 10 ? scaled.toFixed(1).replace(/\.0$/, '') : Math.round(scaled)}${suffix}`;
}

/** The local wall-clock time of an ISO timestamp, "14:03:27". */
export function formatClock(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '—';
  return at.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "in 4 s", "in 2 min": a delay for the connection indicator. */
export function formatDelay(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * `name: count` for a tooltip, with the name isolated (U+2068 … U+2069): a name is written by whoever
 * holds a write key, and a right-to-left override in it would otherwise run on into the count and
 * show it reversed.
 */
export function labelledCount(name: string, count: number): string {
  return `\u2068${name}\u2069: ${formatCount(count)}`;
}
