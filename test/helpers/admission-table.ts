/**
 * An admission table of one process for unit tests: applies each conditional write the admission
 * (`event-admission.ts`) and the refund (`event-refund.ts`) make to an in-memory `tat` per key, as
 * DynamoDB does, and answers a failed condition as DynamoDB does, with the old item (`ALL_OLD`) unless
 * told not to. A write it does not know fails the test: a changed expression needs its rule here. The
 * same writes against DynamoDB Local are in test/integration/event-admission.test.ts.
 */
import { type DynamoDbCall, DynamoDbError } from '../../lambdas/shared/dynamodb-json.js';

type Attributes = Record<string, { N?: string; S?: string }>;

export interface AdmissionCall {
  operation: string;
  input: Record<string, unknown>;
}

/** The number in a DynamoDB attribute value. */
export const numberOf = (values: unknown, name: string) => Number((values as Attributes)[name]?.N);

type Values = (name: string) => number;

/** Each conditional write by its condition: when it holds, and the `tat` it leaves. */
const WRITES: Record<
  string,
  { holds(tat: number | undefined, v: Values): boolean; next(tat: number, v: Values): number }
> = {
  // admission, idle key
  'attribute_not_exists(tat) OR tat <= :now': {
    holds: (tat, v) => tat === undefined || tat <= v(':now'),
    next: (_, v) => v(':next'),
  },
  // admission, busy key
  'tat > :now AND tat <= :latest': {
    holds: (tat, v) => tat !== undefined && tat > v(':now') && tat <= v(':latest'),
    next: (tat, v) => tat + v(':cost'),
  },
  // admission, a tat beyond the key's limits set back to a full bucket
  'tat = :seen': { holds: (tat, v) => tat === v(':seen'), next: (_, v) => v(':next') },
  // refund
  'tat > :now': {
    holds: (tat, v) => tat !== undefined && tat > v(':now'),
    next: (tat, v) => tat - v(':cost'),
  },
};

export function admissionTable(options: { returnsOldItem?: boolean; calls?: AdmissionCall[] } = {}) {
  const tats = new Map<string, number>();
  const call: DynamoDbCall = async (operation, input) => {
    options.calls?.push({ operation, input });
    const keyId = String((input.Key as Attributes).keyId?.S);
    const tat = tats.get(keyId);
    if (operation === 'GetItem')
      return tat === undefined ? {} : { Item: { keyId: { S: keyId }, tat: { N: String(tat) } } };
    const write = WRITES[String(input.ConditionExpression)];
    if (!write) throw new Error(`the fake admission table knows no write ${input.ConditionExpression}`);
    const values: Values = (name) => numberOf(input.ExpressionAttributeValues, name);
    if (!write.holds(tat, values)) {
      throw new DynamoDbError('ConditionalCheckFailedException', 400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        ...(options.returnsOldItem !== false && tat !== undefined
          ? { Item: { keyId: { S: keyId }, tat: { N: String(tat) } } }
          : {}),
      });
    }
    const next = write.next(tat as number, values);
    tats.set(keyId, next);
    return { Attributes: { tat: { N: String(next) } } };
  };
  return { tats, call };
}
