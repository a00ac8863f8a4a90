/**
 * Event-search cursors are signed: `<payload>.<mac>`, where the MAC is an HMAC-SHA256 of the payload
 * with the stats API's key, truncated to 128 bits.
 *
 * The payload is not secret, and the account filter never comes from it. But it names a point in time
 * (PIT), and OpenSearch PIT ids are not secret either: they are built from the node's id and sequential
 * context numbers. A caller who read one of its own PIT ids could write another account's, and the last
 * page of a search closes its cursor's PIT. With a signature, every PIT a cursor names was opened by this
 * API for that cursor's account and query.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_BYTES = 16;
const SEPARATOR = '.';

function mac(payload: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(payload, 'utf8').digest().subarray(0, MAC_BYTES);
}

/** `payload` (base64url, so without a `.`) with its signature appended. */
export function signCursor(payload: string, key: Buffer): string {
  return `${payload}${SEPARATOR}${mac(payload, key).toString('base64url')}`;
}

/** The payload of a cursor this key signed, or `undefined` for anything else (unsigned, altered, other key). */
export function verifiedCursorPayload(token: string, key: Buffer): string | undefined {
  const at = token.lastIndexOf(SEPARATOR);
  if (at < 0) return undefined;
  const payload = token.slice(0, at);
  const given = Buffer.from(token.slice(at + 1), 'base64url');
  if (given.length !== MAC_BYTES) return undefined;
  return timingSafeEqual(given, mac(payload, key)) ? payload : undefined;
}
