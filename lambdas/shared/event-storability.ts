/**
 * Admission = storable: the structural checks that every sink can store an event, run before anything
 * recursive touches it (zod, JSON.stringify, a logger). They walk the event with an explicit stack and
 * never descend past the depth limit, so no input, however deep or wide, can overflow a stack here or
 * downstream: once they pass, the event is at most `MAX_PROPERTIES_DEPTH` + 1 levels deep.
 *
 * Checked: nesting depth, the number and length of keys in `properties`, the number of array elements,
 * finite numbers (`1e400` parses as Infinity, which JSON would store as `null`), well-formed Unicode in
 * every string and key (a lone UTF-16 surrogate cannot be encoded as UTF-8, and DynamoDB and OpenSearch
 * would each mangle it differently), and reserved or empty keys. Types and sizes are the schema's job
 * (`event-schema.ts`), which runs only after these pass; the size limits also keep every term
 * `flat_object` indexes within Lucene's (see `MAX_PROPERTY_TERM_BYTES`).
 */
import {
  MAX_PROPERTIES_ARRAY_ITEMS,
  MAX_PROPERTIES_DEPTH,
  MAX_PROPERTIES_KEYS,
  MAX_PROPERTY_KEY_LENGTH,
} from './event-limits.js';

/** One validation problem, naming the field (`path`, dotted) and what is wrong with it. */
export interface FieldError {
  path: string;
  message: string;
}

/** Enough to fix an event; a hostile one could otherwise produce an error per key. */
const MAX_ERRORS = 10;
/** Longest key shown in an error path, and longest path: errors stay small whatever the input. */
const MAX_SEGMENT_SHOWN = 64;
const MAX_PATH_SHOWN = 300;

/**
 * A JSON number beyond a double's range (`1e400`) parses as ±Infinity, which every serializer writes
 * as `null`: refused, never stored changed.
 */
const NON_FINITE_MESSAGE = `number must be finite: JSON numbers beyond ±${Number.MAX_VALUE} cannot be stored`;

/** In `u` mode a surrogate pair reads as one code point, so only a lone surrogate is a `Cs` match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * One container being walked: its children are visited in order, one at a time (`index`), so the walk
 * is a depth-first pass in document order with one frame per open container and no allocation per
 * leaf. The frames from the event down are the path to the value being checked.
 */
interface Frame {
  /** The container's own key (or index) in its parent; empty for the event itself. */
  segment: string;
  /** The container: an array, or an object whose `keys` passed the key checks. */
  container: unknown[] | Record<string, unknown>;
  keys: string[] | undefined;
  /** Children to visit: the array's length, or the number of `keys`. */
  length: number;
  index: number;
  /** Containers from the event down to this one: the event is 0, a top-level field's value 1. */
  depth: number;
  /** Under `properties`, where the key and array limits apply. */
  inProperties: boolean;
}

/**
 * One walk's state: the open containers, the errors so far and the counts under `properties`. One
 * object per event, so that the walk allocates no closure per event or per container.
 */
class Walk {
  readonly errors: FieldError[] = [];
  readonly stack: Frame[] = [];
  keys = 0;
  items = 0;

  /** Reports an error at the innermost frame's child named by `segments` (none: the frame itself). */
  report(segments: string[], message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ path: pathOf(this.stack, segments), message });
  }
}

/**
 * The reasons `event` cannot be stored, empty when it can. Never throws and never recurses; its work is
 * linear in the size of the event and stops after a handful of errors.
 */
export function storabilityErrors(event: unknown): FieldError[] {
  if (!isPlainObject(event)) return [{ path: '', message: 'event must be a JSON object' }];
  const walk = new Walk();
  const { errors, stack } = walk;

  const topKeys = Object.keys(event);
  stack.push({
    segment: '',
    container: event,
    keys: topKeys,
    length: topKeys.length,
    index: 0,
    depth: 0,
    inProperties: false,
  });
  for (const key of topKeys) {
    if (!isWellFormedUnicode(key)) walk.report([key], unicodeMessage('field name', key));
  }

  while (stack.length > 0 && errors.length < MAX_ERRORS) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.index >= frame.length) {
      stack.pop();
      continue;
    }
    const position = frame.index;
    frame.index += 1;
    const key = frame.keys?.[position];
    const value =
      key === undefined
        ? (frame.container as unknown[])[position]
        : (frame.container as Record<string, unknown>)[key];
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'string' && !isWellFormedUnicode(value)) {
        walk.report([key ?? String(position)], unicodeMessage('value', value));
      } else if (typeof value === 'number' && !Number.isFinite(value)) {
        walk.report([key ?? String(position)], NON_FINITE_MESSAGE);
      }
      continue;
    }
    const segment = key ?? String(position);
    const depth = frame.depth + 1;
    if (depth > MAX_PROPERTIES_DEPTH) {
      walk.report([segment], `nested more than ${MAX_PROPERTIES_DEPTH} levels deep (the limit)`);
      continue;
    }
    const inProperties = frame.inProperties || (frame.depth === 0 && segment === 'properties');
    const child = childFrame(segment, value, depth, inProperties, walk);
    if (child === 'over-limit') {
      // A count over its limit makes every further error noise: the event is refused as it is.
      const limit = walk.keys > MAX_PROPERTIES_KEYS ? 'keys' : 'array elements';
      const max = limit === 'keys' ? MAX_PROPERTIES_KEYS : MAX_PROPERTIES_ARRAY_ITEMS;
      if (errors.length < MAX_ERRORS)
        errors.push({ path: 'properties', message: `properties has more than ${max} ${limit} in all` });
      break;
    }
    stack.push(child);
  }
  return errors;
}

/**
 * The frame of a container about to be walked: an array's elements, or an object's values under the
 * keys that pass the key checks (under `properties`; a key's problem is reported at once, before its
 * siblings' contents, naming the key or its parent). Counts keys and elements under `properties`.
 */
function childFrame(
  segment: string,
  value: object,
  depth: number,
  inProperties: boolean,
  walk: Walk,
): Frame | 'over-limit' {
  if (Array.isArray(value)) {
    if (inProperties) {
      walk.items += value.length;
      if (walk.items > MAX_PROPERTIES_ARRAY_ITEMS) return 'over-limit';
    }
    return {
      segment,
      container: value,
      keys: undefined,
      length: value.length,
      index: 0,
      depth,
      inProperties,
    };
  }
  const record = value as Record<string, unknown>;
  const names = Object.keys(record);
  if (inProperties) {
    walk.keys += names.length;
    if (walk.keys > MAX_PROPERTIES_KEYS) return 'over-limit';
  }
  const keys = inProperties ? passingKeys(names, segment, walk) : names;
  return { segment, container: record, keys, length: keys.length, index: 0, depth, inProperties };
}

/**
 * The keys of an object under `properties` that pass the key checks, each problem reported (naming
 * the key, or the object for an empty or reserved key). The same array when every key passes.
 */
function passingKeys(names: string[], segment: string, walk: Walk): string[] {
  let passing: string[] | undefined;
  for (let position = 0; position < names.length; position += 1) {
    const key = names[position] as string;
    const problem = keyProblem(key);
    if (problem === undefined) {
      passing?.push(key);
      continue;
    }
    walk.report(problem.atParent ? [segment] : [segment, key], problem.message);
    passing ??= names.slice(0, position);
  }
  return passing ?? names;
}

function keyProblem(key: string): { message: string; atParent?: true } | undefined {
  if (key === '') return { message: 'keys in properties must not be empty', atParent: true };
  if (key === '__proto__') return { message: 'the key "__proto__" is reserved', atParent: true };
  if (key.length > MAX_PROPERTY_KEY_LENGTH) {
    return { message: `key is ${key.length} characters, over the limit of ${MAX_PROPERTY_KEY_LENGTH}` };
  }
  if (!isWellFormedUnicode(key)) return { message: unicodeMessage('key', key) };
  return undefined;
}

function unicodeMessage(what: string, text: string): string {
  const at = text.search(LONE_SURROGATE);
  const unit = text.charCodeAt(at).toString(16).toUpperCase();
  return `${what} must be well-formed Unicode: lone UTF-16 surrogate \\u${unit} at index ${at}`;
}

/**
 * The dotted path of the innermost frame of `stack` followed by `below`, each key and the whole path
 * cut to a readable length.
 */
function pathOf(stack: Frame[], below: string[]): string {
  const segments = [...stack.slice(1).map((frame) => frame.segment), ...below];
  return toWellFormed(
    cut(segments.map((segment) => cut(segment, MAX_SEGMENT_SHOWN)).join('.'), MAX_PATH_SHOWN),
  );
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Replaces lone surrogates with U+FFFD, so an error message is itself valid Unicode. */
export function toWellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}

/**
 * True when the string has no lone UTF-16 surrogate, i.e. it can be encoded as UTF-8. Native
 * (`String.prototype.isWellFormed`, ES2024, in Node 20 and Lambda's Node 22): it runs on every string
 * of every event.
 */
export function isWellFormedUnicode(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
