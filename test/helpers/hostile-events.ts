/**
 * Builders of the inputs a hostile or careless client sends: values nested thousands of levels deep
 * (built in a loop, never by recursion), events of an exact serialized size, and bytes that are not UTF-8.
 */

/** `depth` arrays, one inside the other, around `leaf`: `nestedArrays(2, 1)` is `[[1]]`. */
export function nestedArrays(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

/** `depth` objects, one inside the other, under `key`: `nestedObjects(2)` is `{"k":{"k":1}}`. */
export function nestedObjects(depth: number, key = 'k', leaf: unknown = 1): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level += 1) value = { [key]: value };
  return value;
}

/** The JSON text of `depth` nested arrays, for bodies too deep to build as values cheaply. */
export function nestedArraysJson(depth: number, leaf = '1'): string {
  return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
}

/** Bytes of `value`'s JSON serialization. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * `event` with `properties.pad` filled with ASCII so its JSON serialization is exactly `bytes` long.
 * Throws when `event` alone is already larger.
 */
export function eventOfSize(bytes: number, event: Record<string, unknown>): Record<string, unknown> {
  const properties = (event.properties as Record<string, unknown> | undefined) ?? {};
  const empty = { ...event, properties: { ...properties, pad: '' } };
  const room = bytes - jsonBytes(empty);
  if (room < 0) throw new Error(`the event is already ${jsonBytes(empty)} bytes, over ${bytes}`);
  return { ...event, properties: { ...properties, pad: 'x'.repeat(room) } };
}

/** A JSON text whose bytes include one that can never occur in UTF-8 (0xFF) inside a string. */
export function invalidUtf8Json(event: Record<string, unknown>): Buffer {
  const text = JSON.stringify({ ...event, properties: { note: '@@INVALID@@' } });
  const [before, after] = text.split('@@INVALID@@') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
}
