// What the rooms topology writes for an event that relates to another (content['m.relates_to']
// with a string rel_type and event_id): one relations entry, and for m.thread one threadRoots
// update (one item), for m.replace one latestEdits item. At most 2 items per event, so a record's transaction stays below 100 items.
import type { WriteOp } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { latestEdits, relations, threadRoots } from './pstates.ts';

export interface Relation {
  relType: string;
  parentId: string;
}

/** The relation an event declares, if any. State events are not indexed (clients do not relate them). */
export function relationOf(event: Pick<RoomEvent, 'content' | 'state_key'>): Relation | undefined {
  if (event.state_key !== undefined) return undefined;
  const relatesTo = event.content['m.relates_to'];
  if (typeof relatesTo !== 'object' || relatesTo === null || Array.isArray(relatesTo)) return undefined;
  const { rel_type: relType, event_id: parentId } = relatesTo as Record<string, unknown>;
  if (typeof relType !== 'string' || typeof parentId !== 'string' || !relType || !parentId) return undefined;
  return { relType, parentId };
}

export function relationWrites(roomId: string, event: RoomEvent, position: number): WriteOp[] {
  const relation = relationOf(event);
  if (!relation) return [];
  const ops: WriteOp[] = [
    relations.key(roomId).key(relation.parentId).append({ eventId: event.event_id, relType: relation.relType, type: event.type, sender: event.sender, position }),
  ];
  if (relation.relType === 'm.thread') {
    const root = threadRoots.key(roomId).key(relation.parentId);
    ops.push(root.field('count').increment(1), root.field('latestPosition').set(position), root.field('latestEventId').set(event.event_id));
  }
  if (relation.relType === 'm.replace') ops.push(latestEdits.key(roomId).key(relation.parentId).set({ eventId: event.event_id, position }));
  return ops;
}
