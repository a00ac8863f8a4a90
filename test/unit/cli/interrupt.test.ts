import { EventEmitter } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignalTarget } from '../../../cli/interrupt.js';
import { runCli } from '../../../cli/main.js';
import { capturedOutput, endpointsFileIn } from '../../helpers/cli-io.js';
import { rawDeadLetter } from '../../helpers/dead-letter-factories.js';

const sqsMock = mockClient(SQSClient);

/** Ctrl-C and SIGTERM as a test sends them, and the exit code the command ended the process with. */
function fakeSignals() {
  const emitter = new EventEmitter();
  const exit = vi.fn<(code: number) => void>();
  const signals: SignalTarget = {
    on: (signal, listener) => emitter.on(signal, listener),
    off: (signal, listener) => emitter.off(signal, listener),
    exit,
  };
  return { signals, exit, send: (signal: NodeJS.Signals) => emitter.emit(signal) };
}

function letter(id: string) {
  return { MessageId: id, ReceiptHandle: `rh-${id}`, Body: JSON.stringify(rawDeadLetter(`junk ${id}`)) };
}

/** The receipt handles of each ChangeMessageVisibilityBatch that returned messages at once. */
function returnedBatches(): string[][] {
  return sqsMock
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .map((call) => call.args[0].input.Entries ?? [])
    .filter((entries) => entries.every((entry) => entry.VisibilityTimeout === 0))
    .map((entries) => entries.map((entry) => entry.ReceiptHandle ?? ''));
}

async function endpoints() {
  return endpointsFileIn(await mkdtemp(join(tmpdir(), 'cli-interrupt-')));
}

describe('a command interrupted while it holds the dead-letter queue', () => {
  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
  });

  it('returns every letter it held on Ctrl-C, one a receive brings afterwards too, then exits 130', async () => {
    // Prepare: Ctrl-C arrives while the second receive is under way.
    const io = capturedOutput();
    const { signals, exit, send } = fakeSignals();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [letter('a'), letter('b')] })
      .callsFakeOnce(async () => {
        send('SIGINT');
        return { Messages: [letter('c')] };
      })
      .resolves({ Messages: [] });

    // Act
    const code = await runCli(['dead-letters', 'list', '--endpoints', await endpoints()], io.output, signals);

    // Assess: nothing stays hidden until its visibility timeout; the process ends with Ctrl-C's code.
    expect(returnedBatches()).toEqual([['rh-a', 'rh-b'], ['rh-c']]);
    expect(exit).toHaveBeenCalledWith(130);
    expect(io.stderr()).toContain('3 held letter(s) returned to the queue');
    expect(io.stdout()).not.toContain('letter(s)');
    expect(code).toBe(1);
  });

  it('returns the letters on SIGTERM after the read too (a redrive under way), exiting 143', async () => {
    // Prepare: the queue holds two letters; SIGTERM comes while the command works on them.
    const io = capturedOutput();
    const { signals, exit, send } = fakeSignals();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [letter('a'), letter('b')] })
      .resolves({ Messages: [] });
    sqsMock.on(GetQueueAttributesCommand).callsFake(async () => {
      send('SIGTERM');
      return { Attributes: { ApproximateNumberOfMessagesNotVisible: '2' } };
    });

    // Act
    await runCli(['dead-letters', 'list', '--endpoints', await endpoints()], io.output, signals);

    // Assess: returned once, by the signal's cleanup, which ended the process.
    expect(returnedBatches()).toEqual([['rh-a', 'rh-b']]);
    expect(exit).toHaveBeenCalledWith(143);
  });
});

describe('a view of the dead-letter queue that lacks letters', () => {
  /** Two letters to receive, then none, with these counts of the queue's messages. */
  function twoLettersOf(attributes: Partial<Record<string, string>>) {
    sqsMock.reset();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [letter('a'), letter('b')] })
      .resolves({ Messages: [] });
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: attributes });
  }

  it.each([
    {
      // Five in flight: these two, and three another (or a killed) command holds.
      lacks: 'letters held elsewhere',
      attributes: { ApproximateNumberOfMessagesNotVisible: '5' },
      note: '3 more letter(s) are in flight, held by another command',
      counts: { heldElsewhere: 3 },
    },
    {
      // SQS at its in-flight cap: a long poll answers empty while 120,000 letters still wait.
      lacks: 'letters past the in-flight cap of SQS',
      attributes: { ApproximateNumberOfMessagesNotVisible: '2', ApproximateNumberOfMessages: '120000' },
      note: '120000 more letter(s) are waiting in the queue that this run did not receive',
      counts: { heldElsewhere: 0, notReceived: 120000 },
    },
  ])(
    'says how many $lacks it does not see, in the text and in the JSON',
    async ({ attributes, note, counts }) => {
      const io = capturedOutput();
      const json = capturedOutput();
      const file = await endpoints();

      twoLettersOf(attributes);
      const code = await runCli(['dead-letters', 'list', '--endpoints', file], io.output);
      twoLettersOf(attributes);
      await runCli(['dead-letters', 'list', '--json', '--endpoints', file], json.output);

      expect(code).toBe(0);
      expect(io.stdout()).toContain('2 letter(s)');
      expect(io.stderr()).toContain(note);
      expect(JSON.parse(json.stdout())).toMatchObject({ total: 2, ...counts });
    },
  );
});

describe('a load interrupted', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends nothing more, writes the line of every event sent, says so and exits 130', async () => {
    // Prepare: Ctrl-C arrives while the first of three requests is answered (one request per 100 ms)
    const { signals, exit, send } = fakeSignals();
    const folder = await mkdtemp(join(tmpdir(), 'cli-load-interrupt-'));
    const out = join(folder, 'run.jsonl');
    let posts = 0;
    vi.stubGlobal('fetch', async (_url: string, init: { body: string }) => {
      posts += 1;
      send('SIGINT');
      const { events } = JSON.parse(init.body) as { events: unknown[] };
      return Response.json({ accepted: events.length, duplicates: 0, rejected: [] }, { status: 202 });
    });
    const io = capturedOutput();

    // Act
    const code = await runCli(
      [
        ...['load', '--events', '9', '--batch', '3', '--rate', '30', '--out', out, '--key', 'acct_a=wk'],
        ...['--endpoints', await endpoints()],
      ],
      io.output,
      signals,
    );

    // Assess
    expect(code).toBe(130);
    expect(exit).not.toHaveBeenCalled();
    expect(posts).toBe(1);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(io.stderr()).toMatch(/SIGINT: sending nothing more; waiting for the requests in flight/);
    expect(io.stderr()).toContain(`interrupted: 3 of 9 event(s) sent, each with its outcome in ${out}`);
  });

  it('ends at once on a second signal', async () => {
    // Prepare: two signals while a request hangs
    const { signals, exit, send } = fakeSignals();
    const folder = await mkdtemp(join(tmpdir(), 'cli-load-interrupt-'));
    vi.stubGlobal('fetch', async () => {
      send('SIGTERM');
      send('SIGTERM');
      return Response.json({ accepted: 1, duplicates: 0, rejected: [] }, { status: 202 });
    });
    const io = capturedOutput();

    // Act
    await runCli(
      [
        ...['load', '--events', '1', '--out', join(folder, 'run.jsonl'), '--key', 'acct_a=wk'],
        ...['--endpoints', await endpoints()],
      ],
      io.output,
      signals,
    );

    // Assess
    expect(exit).toHaveBeenCalledWith(143);
    expect(io.stderr()).toMatch(/interrupted again: ending now/);
  });
});
