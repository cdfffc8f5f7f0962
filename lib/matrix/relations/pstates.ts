// Relation indexes, written by the rooms topology with each related event (lib/matrix/relations/
// index-writes.ts) and read by the relations and threads endpoints.
import { map, number, pstate, record, string, vector } from '../../core/pstate/index.ts';

/**
 * room id → parent event id → the events relating to it, in timeline order (one item each):
 * /relations pages through one parent's vector without reading the room's timeline.
 */
export const relations = pstate(
  'relations',
  map(
    string(),
    map(string(), vector(record({ eventId: string(), relType: string(), type: string(), sender: string(), position: number() })).subindexed()).subindexed(),
  ),
);

/** room id → thread root event id → the thread's size and newest reply (GET /threads). */
export const threadRoots = pstate(
  'threadRoots',
  map(string(), map(string(), record({ count: number(), latestPosition: number(), latestEventId: string() })).subindexed()),
);

/**
 * room id → event id → its newest m.replace child (the `m.replace` bundled aggregation): one
 * BatchGet per page of events. Whether the edit is valid (same sender) is checked on read.
 */
export const latestEdits = pstate('latestEdits', map(string(), map(string(), record({ eventId: string(), position: number() })).subindexed()));

export const relationPStates = [relations, threadRoots, latestEdits] as const;
