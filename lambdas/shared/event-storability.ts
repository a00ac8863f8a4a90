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

/** A value waiting to be checked, with the way to it (a linked list: no path copied per node). */
interface Node {
  value: unknown;
  segment: string;
  parent: Node | undefined;
  /** Containers from the event down to this value: a top-level field is at depth 1. */
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
  const report = (node: Node | undefined, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ path: pathOf(node), message });
  };
  let keys = 0;
  let items = 0;
  const stack: Node[] = [];
  for (const key of Object.keys(event).reverse()) {
    const node: Node = {
      value: event[key],
      segment: key,
      parent: undefined,
      depth: 1,
      inProperties: key === 'properties',
    };
    if (LONE_SURROGATE.test(key)) report(node, unicodeMessage('field name', key));
    stack.push(node);
  }

  while (stack.length > 0 && errors.length < MAX_ERRORS) {
    const node = stack.pop() as Node;
    const { value } = node;
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'string' && LONE_SURROGATE.test(value))
        report(node, unicodeMessage('value', value));
      continue;
    }
    if (node.depth > MAX_PROPERTIES_DEPTH) {
      report(node, `nested more than ${MAX_PROPERTIES_DEPTH} levels deep (the limit)`);
      continue;
    }
    const childDepth = node.depth + 1;
    if (Array.isArray(value)) {
      if (node.inProperties) {
        items += value.length;
        if (items > MAX_PROPERTIES_ARRAY_ITEMS) {
          report(undefined, `properties has more than ${MAX_PROPERTIES_ARRAY_ITEMS} array elements in all`);
          break;
        }
      }
      for (let index = value.length - 1; index >= 0; index -= 1) {
        stack.push({ ...node, value: value[index], segment: String(index), parent: node, depth: childDepth });
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    const names = Object.keys(record);
    if (node.inProperties) {
      keys += names.length;
      if (keys > MAX_PROPERTIES_KEYS) {
        report(undefined, `properties has more than ${MAX_PROPERTIES_KEYS} keys in all`);
        break;
      }
    }
    const children: Node[] = [];
    for (const key of names) {
      const child: Node = {
        value: record[key],
        segment: key,
        parent: node,
        depth: childDepth,
        inProperties: node.inProperties,
      };
      const problem = node.inProperties ? keyProblem(key) : undefined;
      if (problem) report(problem.atParent ? node : child, problem.message);
      else children.push(child);
    }
    // Reversed onto the stack, so the walk (and its errors) follow the order of the keys.
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index] as Node);
  }
  return errors;
}

function keyProblem(key: string): { message: string; atParent?: true } | undefined {
  if (key === '') return { message: 'keys in properties must not be empty', atParent: true };
  if (key === '__proto__') return { message: 'the key "__proto__" is reserved', atParent: true };
  if (key.length > MAX_PROPERTY_KEY_LENGTH) {
    return { message: `key is ${key.length} characters, over the limit of ${MAX_PROPERTY_KEY_LENGTH}` };
  }
  if (LONE_SURROGATE.test(key)) return { message: unicodeMessage('key', key) };
  return undefined;
}

function unicodeMessage(what: string, text: string): string {
  const at = text.search(LONE_SURROGATE);
  const unit = text.charCodeAt(at).toString(16).toUpperCase();
  return `${what} must be well-formed Unicode: lone UTF-16 surrogate \\u${unit} at index ${at}`;
}

/** The dotted path of a node, each key and the whole path cut to a readable length. */
function pathOf(node: Node | undefined): string {
  if (!node) return 'properties';
  const segments: string[] = [];
  for (let current: Node | undefined = node; current; current = current.parent) {
    segments.push(cut(current.segment, MAX_SEGMENT_SHOWN));
  }
  return toWellFormed(cut(segments.reverse().join('.'), MAX_PATH_SHOWN));
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Replaces lone surrogates with U+FFFD, so an error message is itself valid Unicode. */
export function toWellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}

/** True when the string has no lone UTF-16 surrogate, i.e. it can be encoded as UTF-8. */
export function isWellFormedUnicode(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
