/**
 * An in-memory OpenSearch for unit tests of the indexer: `_bulk` with `create` semantics (409 when the
 * id exists in that index), `index` and `delete`, realtime `_mget` (an error item for a missing index, as OpenSearch answers),
 * index deletion, and hooks that make a whole request or one item fail.
 */
import type {
  BulkResponseBody,
  BulkResponseItem,
  MgetDoc,
  MgetResponseBody,
  RequestOptions,
  SearchApi,
} from '../../lambdas/indexer/search-api.js';

export interface BulkTarget {
  index: string;
  id: string;
  /** 1-based number of the `_bulk` call. */
  call: number;
}

export class FakeOpenSearch implements SearchApi {
  /** index name -> id -> source */
  readonly store = new Map<string, Map<string, Record<string, unknown>>>();
  /** The `create` targets of every `_bulk` call, in order. */
  readonly bulkCalls: BulkTarget[][] = [];
  readonly mgetCalls: MgetDoc[][] = [];
  readonly deleted: string[][] = [];
  /** Makes a whole request fail (thrown), e.g. an unreachable node; `ids` are the `_id`s it carries. */
  failRequest: (kind: 'bulk' | 'mget' | 'delete', call: number, ids: string[]) => Error | undefined = () =>
    undefined;
  /** Answers one `create` with this item instead of writing it. */
  failItem: (target: BulkTarget) => BulkResponseItem | undefined = () => undefined;

  async bulk(params: { body: Record<string, unknown>[] }, _options?: RequestOptions) {
    const call = this.bulkCalls.length + 1;
    const targets: BulkTarget[] = [];
    this.bulkCalls.push(targets);
    const actions = bulkActions(params.body);
    const ids = actions.map(({ target }) => target._id);
    const failure = this.failRequest('bulk', call, ids);
    if (failure) throw failure;
    const items: BulkResponseBody['items'] = [];
    for (const { op, target: action, source } of actions) {
      const target = { index: action._index, id: action._id, call };
      if (op === 'create') {
        targets.push(target);
        items.push({ create: this.create(target, source as Record<string, unknown>) });
      } else if (op === 'index') {
        this.indexOf(target.index).set(target.id, source as Record<string, unknown>);
        items.push({ index: { status: 200 } });
      } else {
        const found = this.store.get(target.index)?.delete(target.id);
        items.push({ delete: { status: found ? 200 : 404 } });
      }
    }
    return { body: { errors: items.some((item) => (item.create?.status ?? 0) >= 300), items } };
  }

  async mget(params: { body: { docs: MgetDoc[] } }, _options?: RequestOptions) {
    this.mgetCalls.push(params.body.docs);
    const failure = this.failRequest(
      'mget',
      this.mgetCalls.length,
      params.body.docs.map((doc) => doc._id),
    );
    if (failure) throw failure;
    const body: MgetResponseBody = {
      docs: params.body.docs.map(({ _index, _id, _source }) => {
        const index = this.store.get(_index);
        if (!index)
          return { _index, _id, error: { type: 'index_not_found_exception', reason: 'no such index' } };
        const source = index.get(_id);
        if (!source) return { _index, _id, found: false };
        const fields = _source ? Object.fromEntries(_source.map((name) => [name, source[name]])) : source;
        return { _index, _id, found: true, _source: fields };
      }),
    };
    return { body };
  }

  readonly indices = {
    delete: async (params: { index: string[]; ignore_unavailable?: boolean }) => {
      this.deleted.push(params.index);
      const failure = this.failRequest('delete', this.deleted.length, []);
      if (failure) throw failure;
      for (const name of params.index) this.store.delete(name);
      return { acknowledged: true };
    },
  };

  /** Every document whose index name starts with `prefix`, with its index. */
  documents(prefix: string): { index: string; id: string; source: Record<string, unknown> }[] {
    return [...this.store].flatMap(([index, docs]) =>
      index.startsWith(prefix) ? [...docs].map(([id, source]) => ({ index, id, source })) : [],
    );
  }

  private indexOf(name: string): Map<string, Record<string, unknown>> {
    const index = this.store.get(name) ?? new Map<string, Record<string, unknown>>();
    this.store.set(name, index);
    return index;
  }

  private create(target: BulkTarget, source: Record<string, unknown>): BulkResponseItem {
    const scripted = this.failItem(target);
    if (scripted) return scripted;
    const index = this.indexOf(target.index);
    if (index.has(target.id)) return { status: 409, error: { type: 'version_conflict_engine_exception' } };
    index.set(target.id, source);
    return { status: 201 };
  }
}

type BulkOp = 'create' | 'index' | 'delete';

/** The actions of a `_bulk` body: `create` and `index` take the next line as source, `delete` none. */
function bulkActions(body: Record<string, unknown>[]) {
  const actions: { op: BulkOp; target: { _index: string; _id: string }; source?: unknown }[] = [];
  for (let line = 0; line < body.length; line += 1) {
    const [op, target] = Object.entries(body[line] ?? {})[0] as [BulkOp, { _index: string; _id: string }];
    if (op === 'delete') actions.push({ op, target });
    else {
      actions.push({ op, target, source: body[line + 1] });
      line += 1;
    }
  }
  return actions;
}
