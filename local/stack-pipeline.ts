/**
 * The emulated half of the local stack, started once the servers run: the functions (each with its own
 * log file), the event source mappings that feed them from the stream (on-failure records to the
 * dead-letter queue, as the deployed mappings' SQS destination), and their log files.
 */
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type ApiSettings, FUNCTIONS, type FunctionId, STREAM_MAPPINGS } from '../lib/topology.js';
import {
  type KinesisEventSourceMapping,
  startKinesisEventSourceMapping,
} from './event-source-mapping/kinesis-event-source-mapping.js';
import { type LocalResourceEndpoints, localFunctionEnvironment } from './function-environment.js';
import { LOCAL_REGION } from './local-aws.js';
import { type LogFile, openLogFile, teeLog } from './logs.js';
import type { LocalResources } from './provision.js';
import type { BundledFunction } from './runtime/bundle.js';
import { type FunctionHost, startFunction } from './runtime/function-host.js';
import { localKinesis, localSqs } from './services/local-clients.js';

/** Starts every function of the topology from its bundle; the first environment of each inits now. */
export async function startFunctions(options: {
  bundles: Record<FunctionId, BundledFunction>;
  resources: LocalResourceEndpoints;
  logsDir: string;
  functionLog: (line: string) => void;
  concurrency?: number;
  apiSettings: ApiSettings;
}): Promise<Record<FunctionId, FunctionHost>> {
  const started = await Promise.allSettled(
    Object.values(FUNCTIONS).map((definition) =>
      startFunction({
        definition,
        bundleFile: options.bundles[definition.id].file,
        env: localFunctionEnvironment(definition.id, options.resources, options.apiSettings),
        log: options.functionLog,
        logFile: join(options.logsDir, `${definition.id}.log`),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      }),
    ),
  );
  const functions = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled(functions.map((fn) => fn.stop()));
    throw failed.reason;
  }
  return Object.fromEntries(functions.map((fn) => [fn.id, fn])) as Record<FunctionId, FunctionHost>;
}

export interface StartedMappings {
  mappings: Record<string, KinesisEventSourceMapping>;
  /** Resolves once every mapping holds its shard iterators. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts one mapping per `STREAM_MAPPINGS` entry, polling kinesalite as Lambda's pollers poll Kinesis. */
export function startMappings(options: {
  functions: Record<FunctionId, FunctionHost>;
  resources: LocalResources;
  kinesisUrl: string;
  sqsUrl: string;
  logsDir: string;
  functionLog: (line: string) => void;
}): StartedMappings {
  // Three attempts, the SDK's default: a blip in the emulator must not look like a failed batch.
  const kinesis = localKinesis(options.kinesisUrl, { maxAttempts: 3 });
  const sqs = localSqs(options.sqsUrl, { maxAttempts: 3 });
  const files: LogFile[] = [];
  const mappings: Record<string, KinesisEventSourceMapping> = {};
  for (const mapping of STREAM_MAPPINGS) {
    const file = openLogFile(join(options.logsDir, `event-source-mapping-${mapping.functionId}.log`));
    files.push(file);
    mappings[mapping.functionId] = startKinesisEventSourceMapping({
      kinesis,
      streamName: options.resources.streamName,
      streamArn: options.resources.streamArn,
      mapping,
      fn: options.functions[mapping.functionId],
      region: LOCAL_REGION,
      log: teeLog(file, `[esm:${mapping.functionId}]`, options.functionLog),
      onFailure: async (record) => {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: options.resources.deadLetterQueueUrl,
            MessageBody: JSON.stringify(record),
          }),
        );
      },
    });
  }
  return {
    mappings,
    ready: Promise.all(Object.values(mappings).map((esm) => esm.ready)).then(() => undefined),
    async stop() {
      await Promise.all(Object.values(mappings).map((esm) => esm.stop()));
      kinesis.destroy();
      sqs.destroy();
      await Promise.all(files.map((file) => file.close()));
    },
  };
}
