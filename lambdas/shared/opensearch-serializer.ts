/**
 * The (de)serializer of the functions' OpenSearch client: the library's `Serializer` without its
 * long-numeral support, which the functions never turn on and which brings the `json11` parser (27 KB
 * of each bundle). Everything else is as the library does it: JSON with prototype-poisoning protection
 * on parse (`secure-json-parse`, which the library uses), NDJSON for `_bulk`, and query strings with
 * lists joined by commas. Its errors are the library's, so callers classify them as before.
 */
import { stringify } from 'node:querystring';
import { DeserializationError, SerializationError } from '@opensearch-project/opensearch/lib/errors.js';
import secureJson from 'secure-json-parse';

/** The four operations the transport calls. */
export class LeanSerializer {
  serialize(object: unknown): string {
    try {
      return JSON.stringify(object);
    } catch (error) {
      throw new SerializationError((error as Error).message, object as Record<string, unknown>);
    }
  }

  deserialize<T = unknown>(json: string): T {
    try {
      return secureJson.parse(json, null, { protoAction: 'error', constructorAction: 'error' }) as T;
    } catch (error) {
      throw new DeserializationError((error as Error).message, json);
    }
  }

  ndserialize(array: unknown[]): string {
    if (!Array.isArray(array)) {
      throw new SerializationError('The argument provided is not an array', array as Record<string, unknown>);
    }
    let ndjson = '';
    for (const item of array) ndjson += `${typeof item === 'string' ? item : this.serialize(item)}\n`;
    return ndjson;
  }

  qserialize(object: Record<string, unknown> | string | null | undefined): string {
    if (object == null) return '';
    if (typeof object === 'string') return object;
    const query: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(object)) {
      // OpenSearch complains about keys without a value; lists are comma-separated.
      if (value === undefined) continue;
      query[key] = Array.isArray(value) ? value.join(',') : (value as string | number | boolean);
    }
    return stringify(query);
  }
}
