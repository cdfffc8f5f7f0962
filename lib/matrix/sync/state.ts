// A room's state for a sync's `state` section: the current state events from before the timeline
// window (depth < the window's start), so nothing in the timeline is repeated and nothing past
// the cut is shown. With lazy-loaded members only the listed members' events are read (one
// BatchGet), and the rest of the state by two range reads that skip the member keys.
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { roomState } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';

const MEMBER_FROM = stateKeyOf('m.room.member', '');
const MEMBER_TO = 'm.room.member\u0001';

async function rangeState(roomId: string, bounds: { from?: string; to?: string }): Promise<RoomEvent[]> {
  const entries = await roomState.key(roomId).entries({ consistent: true, limit: 500, ...bounds });
  return entries.map(([, event]) => event as RoomEvent);
}

/** Current state events of the room from before `beforePosition`; members limited to `members` when given. */
export async function readStateBefore(roomId: string, beforePosition: number, members?: ReadonlySet<string>): Promise<RoomEvent[]> {
  let events: RoomEvent[];
  if (members) {
    const ids = [...members];
    const [others, after, memberEvents] = await Promise.all([
      rangeState(roomId, { to: MEMBER_FROM }),
      rangeState(roomId, { from: MEMBER_TO }),
      getMany(
        ids.map((id) => roomState.key(roomId).key(stateKeyOf('m.room.member', id))),
        { consistent: true },
      ),
    ]);
    events = [...others, ...after, ...memberEvents.filter((e): e is RoomEvent => e !== undefined)];
  } else {
    events = await rangeState(roomId, {});
  }
  return events.filter((e) => e.depth < beforePosition);
}

/** The current member events of some users (lazy loading in incremental syncs), from before a position. */
export async function readMembersBefore(roomId: string, beforePosition: number, members: ReadonlySet<string>): Promise<RoomEvent[]> {
  if (!members.size) return [];
  const events = await getMany(
    [...members].map((id) => roomState.key(roomId).key(stateKeyOf('m.room.member', id))),
    { consistent: true },
  );
  return events.filter((e): e is RoomEvent => e !== undefined && (e as RoomEvent).depth < beforePosition) as RoomEvent[];
}

/** Some state events by (type, state key), current (one BatchGet). */
export async function readStateEvents(roomId: string, keys: readonly [string, string][]): Promise<(RoomEvent | undefined)[]> {
  const events = await getMany(
    keys.map(([type, stateKey]) => roomState.key(roomId).key(stateKeyOf(type, stateKey))),
    { consistent: true },
  );
  return events as (RoomEvent | undefined)[];
}
