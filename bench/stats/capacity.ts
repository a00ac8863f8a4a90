/**
 * Measures what the rollup writer consumes, as DynamoDB reports it: a middleware asks every request
 * for `ReturnConsumedCapacity: TOTAL` and adds up the write and read units of the answers.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface Capacity {
  writeUnits: number;
  readUnits: number;
  requests: Record<string, number>;
}

interface ConsumedCapacity {
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
}

/** Installs the meter on `client`; the returned totals grow as the client is used. */
export function meterCapacity(client: DynamoDBDocumentClient): Capacity {
  const capacity: Capacity = { writeUnits: 0, readUnits: 0, requests: {} };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const name = context.commandName ?? 'unknown';
      capacity.requests[name] = (capacity.requests[name] ?? 0) + 1;
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
        .ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        const units = entry.CapacityUnits ?? 0;
        if (/Write|Put|Update|Delete/.test(name)) capacity.writeUnits += entry.WriteCapacityUnits ?? units;
        else capacity.readUnits += entry.ReadCapacityUnits ?? units;
      }
      return result;
    },
    { step: 'initialize', name: 'meter-consumed-capacity' },
  );
  return capacity;
}
