import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../lambdas/shared/http.js';
import { choiceParam, integerParam, readQuery, stringParam } from '../../../lambdas/stats/query-params.js';
import { SUMMARY_PARAMS } from '../../../lambdas/stats/summary-core.js';
import {
  resolveSeriesRange,
  resolveSummaryWindow,
  SERIES_INTERVALS,
} from '../../../lambdas/stats/windows.js';

const NOW = Date.parse('2026-01-15T10:37:20.000Z');

function badRequest(act: () => unknown): { message: string; parameter?: string } {
  try {
    act();
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400) {
      return { message: error.message, parameter: error.details.parameter as string | undefined };
    }
    throw error;
  }
  throw new Error('expected a 400');
}

const summary = (query: Record<string, string>) => () =>
  resolveSummaryWindow(readQuery(query, null, SUMMARY_PARAMS), NOW);

describe('summary window', () => {
  it('resolves sliding windows from the first whole minute inside them, open at now', () => {
    expect(resolveSummaryWindow({ window: 'last_1h' }, NOW)).toEqual({
      name: 'last_1h',
      from: Date.parse('2026-01-15T09:38:00Z'),
      to: NOW,
      openEnd: true,
    });
    expect(resolveSummaryWindow({}, NOW).name).toBe('last_24h');
    expect(resolveSummaryWindow({ window: 'all' }, NOW).from).toBe(Date.parse('2024-12-01T00:00:00Z'));
  });

  it('resolves from/to at minute precision, in any time zone, and date as a UTC day', () => {
    expect(
      resolveSummaryWindow({ from: '2026-01-15T11:00+02:00', to: '2026-01-15T10:00:00.000Z' }, NOW),
    ).toMatchObject({
      from: Date.parse('2026-01-15T09:00:00Z'),
      to: Date.parse('2026-01-15T10:00:00Z'),
      openEnd: false,
    });
    expect(resolveSummaryWindow({ from: '2026-01-15T09:00Z' }, NOW)).toMatchObject({
      to: NOW,
      openEnd: true,
    });
    expect(resolveSummaryWindow({ date: '2026-01-14' }, NOW)).toMatchObject({
      from: Date.parse('2026-01-14T00:00:00Z'),
      to: Date.parse('2026-01-15T00:00:00Z'),
    });
  });

  it.each([
    [{ window: 'last_year' }, 'window', 'must be one of last_1h, last_24h, last_7d, last_30d, all'],
    [{ window: '' }, 'window', 'must be one of'],
    [{ date: 'not-a-date' }, 'date', 'must be a date YYYY-MM-DD'],
    [{ date: '2026-02-30' }, 'date', 'is not a valid date'],
    [{ date: '2020-01-01' }, 'date', 'outside the data horizon'],
    [{ date: '2026-03-01' }, 'date', 'is in the future'],
    [{ from: '2026-01-15T09:00:30Z' }, 'from', 'minute precision'],
    [{ from: '2026-01-15T09:00:00.001Z' }, 'from', 'minute precision'],
    [{ from: '2026-01-15 09:00' }, 'from', 'ISO-8601'],
    [{ from: '2026-01-15T09:00' }, 'from', 'ISO-8601'],
    [{ from: '2026-01-15T24:00Z' }, 'from', 'not a valid date-time'],
    [{ from: '2026-01-15T10:00Z', to: '2026-01-15T09:00Z' }, 'to', 'must be after from'],
    [{ from: '2026-01-15T10:00Z', to: '2026-01-15T10:00Z' }, 'to', 'must be after from'],
    [{ to: '2026-01-15T10:00Z' }, 'to', 'needs from'],
    [{ window: 'last_1h', from: '2026-01-15T10:00Z' }, 'from', 'cannot be combined with window'],
    [{ window: 'last_1h', date: '2026-01-14' }, 'date', 'cannot be combined with window'],
    [{ from: '2026-01-15T10:00Z', date: '2026-01-14' }, 'date', 'cannot be combined with from'],
    [{ from: '2025-11-01T10:17Z' }, 'from', 'minute precision is kept for 31 days'],
    [{ from: '2024-11-01T10:00Z' }, 'from', 'outside the data horizon'],
    [{ from: '2026-01-15T10:00Z', to: '2026-01-17T10:00Z' }, 'to', 'more than 1 day ahead'],
    [{ from: '2026-01-15T10:38Z' }, 'from', 'is not before now'],
    [{ from: '2026-01-16T09:00Z' }, 'from', 'is not before now'],
  ])('rejects %j naming %s', (query, parameter, message) => {
    const error = badRequest(summary(query));
    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });

  it('resolves every window it accepts to from < to', () => {
    const minute = fc.integer({ min: -402 * 1440, max: 2 * 1440 }).map((minutes) => {
      const at = Math.floor(NOW / 60_000) * 60_000 + minutes * 60_000;
      return `${new Date(at).toISOString().slice(0, 16)}Z`;
    });
    fc.assert(
      fc.property(minute, fc.option(minute, { nil: undefined }), (from, to) => {
        let window: ReturnType<typeof resolveSummaryWindow>;
        try {
          window = resolveSummaryWindow(to === undefined ? { from } : { from, to }, NOW);
        } catch (error) {
          if (error instanceof HttpError && error.statusCode === 400) return;
          throw error;
        }
        expect(window.from).toBeLessThan(window.to);
      }),
    );
  });

  it('accepts an old from on a whole hour (hour buckets are kept 400 days)', () => {
    expect(resolveSummaryWindow({ from: '2025-06-01T10:00Z', to: '2025-06-02T00:00Z' }, NOW).from).toBe(
      Date.parse('2025-06-01T10:00:00Z'),
    );
  });
});

describe('readQuery', () => {
  it('rejects unknown parameters, naming all of them and the allowed ones', () => {
    const error = badRequest(() =>
      readQuery({ window: 'last_1h', foo: '1', bar: '2' }, null, SUMMARY_PARAMS),
    );
    expect(error.message).toBe(
      'unknown parameters "bar", "foo"; allowed: window, from, to, date, limit, allow_empty',
    );
    expect(error.parameter).toBe('bar');
  });

  it('says so when a route takes no parameters at all', () => {
    const error = badRequest(() => readQuery({ x: '1' }, null, []));
    expect(error.message).toBe('unknown parameter "x"; this route takes no parameters');
  });

  it('rejects a parameter given twice', () => {
    const error = badRequest(() =>
      readQuery({ window: 'last_7d' }, { window: ['last_1h', 'last_7d'] }, SUMMARY_PARAMS),
    );
    expect(error).toEqual({ message: 'window: is given more than once', parameter: 'window' });
  });
});

describe('timeseries range', () => {
  it('defaults to the last 24 hours, the current one included', () => {
    expect(resolveSeriesRange({}, 'hour', NOW)).toEqual({
      from: Date.parse('2026-01-14T11:00:00Z'),
      to: Date.parse('2026-01-15T11:00:00Z'),
    });
  });

  it.each([
    ['hour', { from: '2026-01-15T09:30Z', to: '2026-01-15T11:00Z' }, 'from', 'whole hour'],
    ['day', { from: '2026-01-10T00:00Z', to: '2026-01-15T12:00Z' }, 'to', 'whole day'],
    ['minute', { from: '2026-01-10T00:00Z', to: '2026-01-15T00:00Z' }, 'to', 'at most 1440'],
    ['minute', { from: '2026-01-10T00:00Z' }, 'from', 'at most 1440'],
    [
      'minute',
      { from: '2025-12-01T00:00Z', to: '2025-12-01T01:00Z' },
      'from',
      'minute buckets are kept for 31 days',
    ],
    ['day', { from: '2024-01-01T00:00Z', to: '2024-02-01T00:00Z' }, 'from', 'outside the data horizon'],
    [
      'hour',
      { from: '2026-01-15T12:00Z' },
      'from',
      'must be before to, which defaults to the end of the current hour',
    ],
    ['hour', { from: '2026-01-15T12:00Z', to: '2026-01-15T11:00Z' }, 'to', 'must be after from'],
  ] as const)('rejects interval=%s with %j naming %s', (interval, query, parameter, message) => {
    const error = badRequest(() => resolveSeriesRange(query, interval, NOW));
    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });
});

describe('scalar parameters', () => {
  it.each([
    [{ limit: '0' }, 'limit', 'must be an integer from 1 to 100'],
    [{ limit: '101' }, 'limit', 'must be an integer from 1 to 100'],
    [{ limit: 'ten' }, 'limit', 'must be an integer from 1 to 100'],
    [{ limit: '' }, 'limit', 'must be an integer from 1 to 100'],
  ])('rejects %j naming %s', (query, parameter, message) => {
    const error = badRequest(() => integerParam(query, 'limit', 1, 100, 10));
    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });

  it('rejects an interval it does not know, listing the allowed ones', () => {
    const error = badRequest(() => choiceParam({ interval: 'week' }, 'interval', SERIES_INTERVALS, 'hour'));
    expect(error).toEqual({
      message: 'interval: must be one of minute, hour, day; got "week"',
      parameter: 'interval',
    });
  });

  it('rejects an empty or over-long string and one off its pattern', () => {
    expect(badRequest(() => stringParam({ type: '' }, 'type', 64)).parameter).toBe('type');
    expect(badRequest(() => stringParam({ q: 'x'.repeat(257) }, 'q', 256)).message).toBe(
      'q: must be 1 to 256 characters',
    );
    expect(
      badRequest(() => stringParam({ type: 'Page View' }, 'type', 64, /^[a-z0-9_.:-]+$/)).parameter,
    ).toBe('type');
  });
});
