/**
 * Which shards a local mapping starts after a reshard: Lambda reads a parent to its end before its
 * children, so a partition key's records stay in order across a split or a merge.
 */
import { describe, expect, it } from 'vitest';
import { shardsReadyToStart } from '../../../local/event-source-mapping/kinesis-event-source-mapping.js';

const shard = (id: number, parent?: number, adjacentParent?: number) => ({
  ShardId: `shardId-${id}`,
  ...(parent !== undefined ? { ParentShardId: `shardId-${parent}` } : {}),
  ...(adjacentParent !== undefined ? { AdjacentParentShardId: `shardId-${adjacentParent}` } : {}),
});
/** 0 split into 1 and 2, which merged into 3. */
const SPLIT_THEN_MERGED = [shard(0), shard(1, 0), shard(2, 0), shard(3, 1, 2)];

describe('shardsReadyToStart', () => {
  it('starts only the root of a stream that was split and merged, when nothing is started yet', () => {
    // Act
    const ready = shardsReadyToStart(SPLIT_THEN_MERGED, new Map());

    // Assess
    expect(ready).toEqual(['shardId-0']);
  });

  it('holds back the merged child while its parents are not started, even though none is being read', () => {
    // Prepare: the root is being read; the split children wait for it
    const started = new Map([['shardId-0', { finished: false }]]);

    // Act
    const ready = shardsReadyToStart(SPLIT_THEN_MERGED, started);

    // Assess
    expect(ready).toEqual([]);
  });

  it('starts the split children once the root is read to its end, and the merged child once both are', () => {
    // Act
    const finished = (...done: number[]) =>
      new Map([0, 1, 2].map((id) => [`shardId-${id}`, { finished: done.includes(id) }]));
    const afterRoot = shardsReadyToStart(SPLIT_THEN_MERGED, new Map([['shardId-0', { finished: true }]]));
    const afterOne = shardsReadyToStart(SPLIT_THEN_MERGED, finished(0, 1));
    const afterBoth = shardsReadyToStart(SPLIT_THEN_MERGED, finished(0, 1, 2));

    // Assess
    expect(afterRoot).toEqual(['shardId-1', 'shardId-2']);
    expect(afterOne).toEqual([]);
    expect(afterBoth).toEqual(['shardId-3']);
  });

  it('starts a child whose parent is no longer on the stream (trimmed after retention)', () => {
    // Act
    const ready = shardsReadyToStart([shard(1, 0), shard(2, 0)], new Map());

    // Assess
    expect(ready).toEqual(['shardId-1', 'shardId-2']);
  });
});
