// A room's state for a sync's `state` section: the state as it was before the timeline window
// (current state events from after the window's start are rewound to the ones they replaced), so
// nothing in the timeline is repeated, nothing past the cut is shown, and a key the window or a
// later event changed still shows its earlier value (a left room's state at the leave). With lazy-loaded members only the listed members' events are read (one
// BatchGet), and the rest of the state by two range reads that skip the member keys.
import { getMany } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import { roomState } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import { rewindState } from '../timeline/state.ts';

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
  return rewindState(roomId, events, beforePosition - 1);
}

/** The current member events of some users (lazy loading in incremental syncs), from before a position. */
export async function readMembersBefore(roomId: string, beforePosition: number, members: ReadonlySet<string>): Promise<RoomEvent[]> {
  if (!members.size) return [];
  const events = await getMany(
    [...members].map((id) => roomState.key(roomId).key(stateKeyOf('m.room.member', id))),
    { consistent: true },
  );
  return rewindState(roomId, events.filter((e): e is RoomEvent => e !== undefined) as RoomEvent[], beforePosition - 1);
}

/** Some state events by (type, state key), current (one BatchGet). */
export async function readStateEvents(roomId: string, keys: readonly [string, string][]): Promise<(RoomEvent | undefined)[]> {
  const events = await getMany(
    keys.map(([type, stateKey]) => roomState.key(roomId).key(stateKeyOf(type, stateKey))),
    { consistent: true },
  );
  return events as (RoomEvent | undefined)[];
}
