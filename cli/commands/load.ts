/**
 * `load`: posts N events from M accounts at a bounded rate against the local stack or a stage, and
 * writes one JSON line per event (account, id, timestamp, outcome) to a file that `reconcile --ids`
 * reads back. Ends with throughput, status counts and latency.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { newDevAccount, registerAccount, UNTHROTTLED_KEY_LIMITS } from '../../local/accounts.js';
import { LOCAL_DIR } from '../../local/local-aws.js';
import {
  type Command,
  NOT_RUNNING_HINT,
  parseOptions,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOptions,
  UsageError,
} from '../command.js';
import { SIGNALS, type SignalTarget } from '../interrupt.js';
import { type LoadAccount, runLoad } from '../load/load-core.js';
import type { Output } from '../output.js';
import { resolveTarget, type Target } from '../target.js';

const OPTIONS = {
  ...TARGET_OPTIONS,
  events: { type: 'string' },
  rate: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  accounts: { type: 'string' },
  key: { type: 'string', multiple: true },
  url: { type: 'string' },
  out: { type: 'string' },
  tag: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const USAGE = `pipeline load [options]

Posts events as a client would (client-chosen event ids; 429/503/no answer resent with the same ids)
and writes one JSON line per event to --out, for \`pipeline reconcile --ids <file>\`.

  --events <n>          events in all (default 1000)
  --rate <n>            events per second, all accounts together (default 200)
  --batch <n>           events per request, 1-500 (default 25)
  --concurrency <n>     requests in flight at most (default 4)
  --accounts <m>        local stack only: register m fresh accounts and spread the load over them;
                        their keys get limits far above any --rate, so the load measures the pipeline
  --key <account>=<write key>   an existing account to post as (repeatable); default: the local
                        stack's development account. These keep their limits (default 500 events/s
                        per key): a faster load is answered 429, and resent after Retry-After
                        (for up to 2 minutes per request)
  --url <ingest url>    default: the target's POST /v1/events
  --out <file>          default: .local/runs/load-<time>.jsonl
  --tag <text>          stored with every event (reconcile groups by it)
  --json                print the summary as JSON

${TARGET_USAGE}`;

export const loadCommand: Command = {
  name: 'load',
  summary: 'post N events from M accounts at a bounded rate; write the sent ids for reconcile',
  usage: USAGE,
  async run({ args, output, signals = process }) {
    const { values } = parseOptions(args, OPTIONS);
    const events = integer(values.events, 'events', 1, 10_000_000, 1000);
    const rate = integer(values.rate, 'rate', 1, 100_000, 200);
    const batchSize = integer(values.batch, 'batch', 1, 500, 25);
    const concurrency = integer(values.concurrency, 'concurrency', 1, 256, 4);
    const fresh = values.accounts === undefined ? 0 : integer(values.accounts, 'accounts', 1, 1000, 1);
    if (
      values.url !== undefined &&
      !(URL.canParse(values.url) && /^https?:$/.test(new URL(values.url).protocol))
    ) {
      throw new UsageError(`--url must be an http:// or https:// URL, got "${values.url.slice(0, 100)}"`);
    }
    const target = await resolveTarget(targetOptions(values));
    try {
      const accounts = await accountsOf(target, values.key ?? [], fresh);
      const url = values.url ?? new URL('v1/events', target.resources.restApiUrl).toString();
      const file = resolve(
        values.out ?? join(LOCAL_DIR, 'runs', `load-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`),
      );
      await mkdir(dirname(file), { recursive: true });
      const out = await openedForWriting(file);
      const progress = output.progress('events settled');
      output.note(`Posting ${events} event(s) from ${accounts.length} account(s) to ${url} at ${rate}/s`);
      const interrupt = onLoadInterrupt(signals, output);
      const summary = await runLoad({
        ingestUrl: url,
        accounts,
        events,
        rate,
        batchSize,
        concurrency,
        ...(values.tag ? { tag: values.tag } : {}),
        signal: interrupt.signal,
        onEvent: (event) => out.write(`${JSON.stringify(event)}\n`),
        onProgress: (settled, so) =>
          progress.update(
            settled,
            events,
            `${so.accepted} accepted, ${so.rejected} rejected, ${so.failed} failed`,
          ),
      });
      await new Promise<void>((done, fail) =>
        out.end((error?: Error | null) => (error ? fail(error) : done())),
      );
      interrupt.stop();
      progress.finish(`${summary.events} event(s) settled in ${summary.seconds.toFixed(1)} s`);
      if (values.json) {
        output.line(
          JSON.stringify({ file, accounts: accounts.map((a) => a.accountId), ...summary }, null, 2),
        );
      } else {
        output.table(
          [
            'events',
            'accepted',
            'rejected',
            'failed',
            'requests',
            'seconds',
            'accepted/s',
            'p50 ms',
            'p99 ms',
          ],
          [
            [
              summary.events,
              summary.accepted,
              summary.rejected,
              summary.failed,
              summary.requests,
              Number(summary.seconds.toFixed(1)),
              Math.round(summary.acceptedPerSecond),
              summary.latencyMs.p50,
              summary.latencyMs.p99,
            ],
          ],
        );
        output.line(
          `HTTP answers: ${Object.entries(summary.statuses)
            .map(([status, n]) => `${status} x${n}`)
            .join(', ')}`,
        );
        output.line(`Sent events: ${file}`);
        output.line(`Check them: npm run pipeline -- reconcile --ids ${file}`);
      }
      if (Object.keys(summary.statuses).join() === 'network') {
        output.note(`load failed: no request to ${url} was answered: ${NOT_RUNNING_HINT}`);
      }
      // A refused key posts nothing: the run is a failure, not a load of rejected events.
      const refused = (summary.statuses['401'] ?? 0) + (summary.statuses['403'] ?? 0);
      if (refused > 0) {
        output.note(
          `load failed: ${refused} request(s) refused with 401/403: is each --key a write key of its account?`,
        );
      }
      if (interrupt.exitCode !== undefined) {
        output.note(
          `interrupted: ${summary.events} of ${events} event(s) sent, each with its outcome in ${file}; ` +
            'the rest were never sent',
        );
        return interrupt.exitCode;
      }
      return summary.failed > 0 || refused > 0 ? 1 : 0;
    } finally {
      target.close();
    }
  },
};

async function accountsOf(target: Target, keys: string[], fresh: number): Promise<LoadAccount[]> {
  const given = keys.map((pair) => {
    const separator = pair.indexOf('=');
    if (separator <= 0)
      throw new UsageError(`--key wants <account id>=<write key>, got "${pair.slice(0, 40)}"`);
    return { accountId: pair.slice(0, separator), writeKey: pair.slice(separator + 1) };
  });
  if (fresh > 0) {
    const local = target.local;
    if (!local)
      throw new UsageError('--accounts registers accounts on the local stack only; use --key for a stage');
    for (let index = 0; index < fresh; index += 1) {
      const account = newDevAccount('acct_load');
      await registerAccount(local, account, UNTHROTTLED_KEY_LIMITS);
      given.push({ accountId: account.accountId, writeKey: account.writeKey });
    }
  }
  if (given.length > 0) return given;
  if (target.local) return [{ accountId: target.local.accountId, writeKey: target.local.writeKey }];
  throw new UsageError('name the accounts to post as with --key <account id>=<write key>');
}

/**
 * The file the sent events go to, open before the first event is posted: a file that cannot be written
 * (a folder, no permission) fails the command at once with why, rather than with an unhandled stream
 * error after the load, when the ids of the events it posted are lost.
 */
async function openedForWriting(file: string): Promise<WriteStream> {
  const out = createWriteStream(file, { flags: 'w' });
  await new Promise<void>((opened, failed) => {
    out.once('open', () => opened());
    out.once('error', (error) => failed(new Error(`cannot write --out ${file}: ${error.message}`)));
  });
  // A later write error (disk full) reaches the callback of `end`, which the command awaits.
  out.on('error', () => undefined);
  return out;
}

function integer(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM during a load: Node's default would end the process at once, with requests
 * in flight whose events may be accepted but never written to the run file, and the file's last lines
 * unwritten, so `reconcile` would not know of them. Instead the first signal stops sending (no new
 * request, no resend) and lets the requests in flight settle, so that every event sent has its line;
 * the command then ends with the signal's exit code. A second signal ends it at once.
 */
function onLoadInterrupt(
  signals: SignalTarget,
  output: Output,
): { signal: AbortSignal; exitCode?: number; stop(): void } {
  const controller = new AbortController();
  const state: { signal: AbortSignal; exitCode?: number; stop(): void } = {
    signal: controller.signal,
    stop: () => {
      for (const [name, listener] of listeners) signals.off(name, listener);
    },
  };
  const listeners = Object.entries(SIGNALS).map(([name, code]) => {
    const listener = () => {
      if (state.exitCode !== undefined) {
        output.note(
          'interrupted again: ending now; events of the requests in flight are not in the run file',
        );
        signals.exit(code);
        return;
      }
      state.exitCode = code;
      output.note(`${name}: sending nothing more; waiting for the requests in flight (again to end at once)`);
      controller.abort();
    };
    signals.on(name as NodeJS.Signals, listener);
    return [name as NodeJS.Signals, listener] as const;
  });
  return state;
}
