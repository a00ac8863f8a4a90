/**
 * Stands in for `@smithy/core/event-streams` in the function bundles (an esbuild alias:
 * `BUNDLING.alias` in lib/topology.ts). The SDK's HTTP protocols load event-stream support lazily,
 * but the bundler includes it in every bundle (~15 KB minified, with its checksums) although no
 * operation the functions call (PutRecords, SQS, DynamoDB, PostToConnection, OpenSearch) streams
 * events. An operation that did (Kinesis SubscribeToShard, say) fails with this error instead of
 * running without its codec. Code run outside a bundle (tests, the CLI) keeps the real module.
 */
const NOT_BUNDLED =
  'event streams are not bundled in this function (lambdas/shared/no-event-streams.ts): remove the alias to call an event-stream operation';

function notBundled(): never {
  throw new Error(NOT_BUNDLED);
}

/**
 * A marshaller that fails when used: clients that declare event-stream operations (Kinesis) create
 * one at construction (`resolveEventStreamSerdeConfig`), and only such an operation uses it.
 */
export const eventStreamSerdeProvider = () => ({ serialize: notBundled, deserialize: notBundled });

/** As `@smithy/core/event-streams` resolves it: the client's marshaller, from its provider. */
export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: (input: T) => unknown }>(
  input: T,
) => Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

/** What `HttpProtocol#loadEventStreamCapability` builds for an event-stream operation: fails. */
export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}
