// Pure rules of room summaries and space hierarchies (Client-Server "Spaces", MSC3266): who may see
// a room's summary without being in it, and which m.space.child events count, in which order.
import type { RoomEvent } from '../events.ts';

/** What decides whether a user may see a room's summary. */
export interface AccessFacts {
  joinRule: string | undefined;
  historyVisibility: string;
  /** The requester's membership (undefined: none, or no requester). */
  membership: string | undefined;
  /** For `restricted` rooms: whether the requester is joined to one of the allowed rooms. */
  meetsRestriction: boolean;
}

/**
 * As Synapse's `_is_local_room_accessible`: members and invitees, anyone for public, knockable
 * and world-readable rooms, and for restricted rooms those in an allowed room. A banned user sees
 * nothing of the room.
 */
export function isAccessible(facts: AccessFacts): boolean {
  if (facts.membership === 'ban') return false;
  if (facts.membership === 'join' || facts.membership === 'invite') return true;
  if (facts.joinRule === 'public' || facts.joinRule === 'knock' || facts.joinRule === 'knock_restricted') return true;
  if (facts.historyVisibility === 'world_readable') return true;
  return (facts.joinRule === 'restricted' || facts.joinRule === 'knock_restricted') && facts.meetsRestriction;
}

/** Room ids named by a restricted join rule's `allow` entries of type m.room_membership. */
export function allowedRoomIds(joinRules: RoomEvent | undefined): string[] {
  const allow = joinRules?.content.allow;
  if (!Array.isArray(allow)) return [];
  return allow.flatMap((entry) => {
    const e = entry as { type?: unknown; room_id?: unknown };
    return e && e.type === 'm.room_membership' && typeof e.room_id === 'string' ? [e.room_id] : [];
  });
}

/** A space child counts only with a non-empty `via` list (spec: otherwise the child is removed). */
export function isValidChild(event: RoomEvent): boolean {
  const via = event.content.via;
  return typeof event.state_key === 'string' && event.state_key.startsWith('!') && Array.isArray(via) && via.length > 0;
}

export const isSuggested = (event: RoomEvent): boolean => event.content.suggested === true;

/** The spec's `order`: printable ASCII (0x20–0x7E), at most 50 characters; otherwise ignored. */
function orderOf(event: RoomEvent): string | undefined {
  const order = event.content.order;
  return typeof order === 'string' && order.length <= 50 && /^[\x20-\x7E]*$/.test(order) ? order : undefined;
}

/** Spec order of children: those with an `order` first (lexicographically), then by origin_server_ts, then room id. */
export function compareChildren(a: RoomEvent, b: RoomEvent): number {
  const oa = orderOf(a);
  const ob = orderOf(b);
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  const ka = a.state_key ?? '';
  const kb = b.state_key ?? '';
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
