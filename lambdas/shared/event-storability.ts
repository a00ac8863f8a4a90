/**
 * Admission = storable: the structural checks that every sink can store an event, run before anything
 * recursive touches it (zod, JSON.stringify, a logger). They walk the event with an explicit stack and
 * never descend past the depth limit, so no input, however deep or wide, can overflow a stack here or
 * downstream: once they pass, the event is at most `MAX_PROPERTIES_DEPTH` + 1 levels deep.
 *
 * Checked: nesting depth, the number and length of keys in `properties`, the number of array elements,
 * well-formed Unicode in every string and key (a lone UTF-16 surrogate cannot be encoded as UTF-8, and
 * DynamoDB and OpenSearch would each mangle it differently), and reserved or empty keys. Types and
 * sizes are the schema's job (`event-schema.ts`), which runs only after these pass; the size limits
 * also keep every term `flat_object` indexes within Lucene's (see `MAX_PROPERTY_TERM_BYTES`).
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
 * The reasons `event` cannot be stored, empty when it can. Never throws and never recurses; its work is
 * linear in the size of the event and stops after a handful of errors.
 */
export function storabilityErrors(event: unknown): FieldError[] {
  if (!isPlainObject(event)) return [{ path: '', message: 'event must be a JSON object' }];
  const errors: FieldError[] = [];
  const stack: Frame[] = [];
  /** Reports an error at the innermost frame's child named by `segments` (none: the frame itself). */
  const report = (segments: string[], message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ path: pathOf(stack, segments), message });
  };
  const counts = { keys: 0, items: 0 };

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
    if (!isWellFormedUnicode(key)) report([key], unicodeMessage('field name', key));
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
        report([key ?? String(position)], unicodeMessage('value', value));
      }
      continue;
    }
    const segment = key ?? String(position);
    const depth = frame.depth + 1;
    if (depth > MAX_PROPERTIES_DEPTH) {
      report([segment], `nested more than ${MAX_PROPERTIES_DEPTH} levels deep (the limit)`);
      continue;
    }
    const inProperties = frame.inProperties || (frame.depth === 0 && segment === 'properties');
    const child = childFrame(segment, value, depth, inProperties, counts, (segments, message) =>
      report([segment, ...segments], message),
    );
    if (child === 'over-limit') {
      // A count over its limit makes every further error noise: the event is refused as it is.
      const limit = counts.keys > MAX_PROPERTIES_KEYS ? 'keys' : 'array elements';
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
  counts: { keys: number; items: number },
  report: (segments: string[], message: string) => void,
): Frame | 'over-limit' {
  if (Array.isArray(value)) {
    if (inProperties) {
      counts.items += value.length;
      if (counts.items > MAX_PROPERTIES_ARRAY_ITEMS) return 'over-limit';
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
    counts.keys += names.length;
    if (counts.keys > MAX_PROPERTIES_KEYS) return 'over-limit';
  }
  const keys = inProperties ? names.filter((key) => keyPasses(key, report)) : names;
  return { segment, container: record, keys, length: keys.length, index: 0, depth, inProperties };
}

/** Reports a key's problem (naming the key, or its parent for an empty or reserved key); true if none. */
function keyPasses(key: string, report: (segments: string[], message: string) => void): boolean {
  const problem = keyProblem(key);
  if (problem) report(problem.atParent ? [] : [key], problem.message);
  return problem === undefined;
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
