// PStates: schemas, paths, reads, write ops and commits on the one table.
//
//   const roomMembers = pstate('roomMembers', map(string(), map(string(), number()).subindexed()));
//   await commit([roomMembers.key(room).key(user).set(50)]);
//   await roomMembers.key(room).count();                  // one GetItem
//   await roomMembers.key(room).range({ from: 'b', limit: 20 });
//
// Semantics in short (details where they are implemented):
// - Storage (keys.ts, location.ts): pk = `<name>#<top-level key>` (or `<name>` when the top level
//   is not a map); every element of a subindexed structure is an item; everything else is stored in
//   the item of its nearest subindexed ancestor (records flattened to attributes `v.<field>`, sizes
//   of subindexed structures in `n.<field>`). Top-level maps are partitions: no count or range.
// - Order: string keys by UTF-8 bytes (code point order), number keys numerically, vector indexes
//   numerically. Range bounds: `from` inclusive, `to` exclusive by default (flags change that);
//   `reverse` walks down from `to` to `from`; a cursor is returned only when more entries follow.
// - get: undefined when absent; subindexed parts read as `{ count }` (read them by range); records
//   read as their stored fields.
// - Writes: set, remove, increment (numbers), append (subindexed vectors: index = size), add /
//   delete (subindexed sets); conditions ifAbsent, ifExists, ifEquals, ifBelow (absent or below).
//   A vector grows only by append (no remove, set/increment only existing indexes). Removing a value
//   whose subindexed children still hold elements is refused. Writing a descendant of a missing
//   element creates (and counts) that element.
// - Commits (writes.ts, commit.ts): `commit(ops)` is atomic; `prepare(ops)` gives TableWrite[] for
//   a caller's own transaction. Sizes stay exact under concurrency through guarded writes retried
//   from a fresh read. Own conditions see the state before the commit.
export * from './schema.ts';
export { pstate, getMany, getManyAndItems, Path, type PState, type EntryOf, type ElementKeyOf } from './path.ts';
export type { RangeOptions, RangePage, ReadOptions } from './reads.ts';
export { batchGetItems } from './reads.ts';
export { sharedReads, inSharedReads, type SharedReads, type SharedReadsOptions } from './shared-reads.ts';
export { compile, itemsToRead, type Condition, type WriteOp, type Knowledge, type CompileOptions } from './writes.ts';
export { commit, commitWrites, incrementAndGet, moveElements, prepare, WriteConflict, type CommitOptions, type ElementMove } from './commit.ts';
export { ConditionFailedError, ContentionError, ItemTooLargeError, TooManyWritesError, MAX_ITEM_BYTES, isConditionFailed } from './errors.ts';
export { partitionKey, compareKeys } from './keys.ts';
export type { ItemKey } from './location.ts';
