// Room state now and at an earlier position. The current state is one PState range; the state at
// position p walks each newer state event back through `unsigned.replaces_state` (the event it
// replaced, kept by the rooms topology) until it reaches one sent at or before p. A key first set
// after p has no such predecessor and is left out. Cost: O(keys changed since p), not O(events).
import { readYourWrites } from './consistency.ts';
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { eventLocations, roomState, roomTimeline } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';

async function rangeState(roomId: string, bounds: { from?: string; to?: string } = {}): Promise<RoomEvent[]> {
  const entries = await roomState.key(roomId).entries({ ...bounds, limit: 500, ...readYourWrites });
  return entries.map(([, event]) => event);
}

/** Every current state event of the room. */
export function currentState(roomId: string): Promise<RoomEvent[]> {
  return rangeState(roomId);
}

/** The current m.room.member events of the room (one range over the member keys). */
export function currentMemberEvents(roomId: string): Promise<RoomEvent[]> {
  return rangeState(roomId, { from: stateKeyOf('m.room.member', ''), to: `m.room.member\u0001` });
}

/** The current state events of the given (type, state key)s that exist. */
export async function currentStateEvents(roomId: string, keys: readonly { type: string; stateKey: string }[]): Promise<RoomEvent[]> {
  const found: RoomEvent[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    const batch = keys.slice(i, i + 100).map((k) => roomState.key(roomId).key(stateKeyOf(k.type, k.stateKey)));
    for (const event of await getMany(batch, readYourWrites)) if (event) found.push(event);
  }
  return found;
}

/** Stored events by id within one room (missing or other-room ids are skipped). */
export async function eventsById(roomId: string, eventIds: readonly string[]): Promise<Map<string, RoomEvent>> {
  const out = new Map<string, RoomEvent>();
  for (let i = 0; i < eventIds.length; i += 100) {
    const ids = eventIds.slice(i, i + 100);
    const locations = await getMany(ids.map((id) => eventLocations.key(id)), readYourWrites);
    const located = locations.flatMap((loc) => (loc?.roomId === roomId && loc.position ? [loc.position] : []));
    const entries = await getMany(located.map((position) => roomTimeline.key(roomId).key(position - 1)), readYourWrites);
    for (const entry of entries) if (entry) out.set(entry.event.event_id, entry.event);
  }
  return out;
}

/**
 * The given current state events as they were at `position`: each newer one replaced by the
 * event it replaced, repeatedly; keys with nothing at or before `position` are dropped.
 */
export async function rewindState(roomId: string, events: readonly RoomEvent[], position: number): Promise<RoomEvent[]> {
  const settled: RoomEvent[] = [];
  let pending = [...events];
  while (pending.length) {
    const older: RoomEvent[] = [];
    for (const event of pending) if (event.depth <= position) settled.push(event);
    const toWalk = pending.filter((e) => e.depth > position && typeof e.unsigned?.replaces_state === 'string');
    const previous = await eventsById(roomId, toWalk.map((e) => e.unsigned!.replaces_state as string));
    for (const event of toWalk) {
      const before = previous.get(event.unsigned!.replaces_state as string);
      // Depth strictly falls along the chain, so the walk ends even on inconsistent data.
      if (before && before.depth < event.depth) older.push(before);
    }
    pending = older;
  }
  return settled;
}

/** All room state at `position` (the current state when position is the room's last). */
export async function stateAt(roomId: string, position: number): Promise<RoomEvent[]> {
  return rewindState(roomId, await currentState(roomId), position);
}
