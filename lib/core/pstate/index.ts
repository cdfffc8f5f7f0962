// PStates: schemas, paths, reads, write ops and commits on the one table.
export * from './schema.ts';
export { pstate, getMany, Path, type PState, type EntryOf, type ElementKeyOf } from './path.ts';
export type { RangeOptions, RangePage, ReadOptions } from './reads.ts';
export { batchGetItems } from './reads.ts';
export { compile, itemsToRead, type Condition, type WriteOp, type Knowledge, type CompileOptions } from './writes.ts';
export { commit, commitWrites, prepare, WriteConflict, type CommitOptions } from './commit.ts';
export { ConditionFailedError, ContentionError, ItemTooLargeError, TooManyWritesError, MAX_ITEM_BYTES, isConditionFailed } from './errors.ts';
export { partitionKey, compareKeys } from './keys.ts';
