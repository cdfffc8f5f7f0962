// Who may read a room, and up to where (Client-Server "History visibility" and the 403s of the
// room read endpoints). Like Synapse, an unknown room answers the same 403 as a room the user is
// not in, so room ids cannot be probed. A user who left (or was banned) reads the room as it was
// when they left, unless it is world_readable (then as anyone does); a user who forgot the room
// reads nothing of it but what anyone may (spec: forget drops the history).
import { readYourWrites } from './consistency.ts';
import { forbidden } from '../errors.ts';
import { parseHistoryVisibility } from '../history-visibility.ts';
import { getMany } from '../../core/pstate/index.ts';
import { memberRooms, membershipHistory, roomInfo, roomState } from '../pstates.ts';
import { stateKeyOf } from '../room-state.ts';
import { currentMembership, type MembershipChange, type Viewer } from './visibility.ts';

export interface RoomView {
  roomId: string;
  roomVersion: string;
  /** Position of the room's newest event. */
  lastPosition: number;
  viewer: Viewer;
  /** The user's membership now (undefined: never a member). */
  membership: string | undefined;
  /** The newest position the user may read: the room's end, or their leave/ban. */
  readableUpTo: number;
  /** Set when the user left or was banned: state reads show the room at that position. */
  departedAt?: number;
}

/** All of a user's membership changes in a room, in position order. */
export async function membershipChanges(roomId: string, userId: string): Promise<MembershipChange[]> {
  const changes = await membershipHistory.key(roomId).key(userId).entries({ limit: 1000, ...readYourWrites });
  return changes.map(([, change]) => ({ position: change.position ?? 0, membership: change.membership ?? '' }));
}

const notInRoom = (roomId: string) => forbidden(`You are not allowed to read ${roomId}`);

/**
 * The user's view of the room, or 403 M_FORBIDDEN when they may not read it at all: never a
 * member (or forgot it, or only invited) and the room is not world_readable.
 */
export async function viewRoom(roomId: string, userId: string): Promise<RoomView> {
  const [[info, memberRoom, visibilityEvent], history] = await Promise.all([
    getMany([
      roomInfo.key(roomId),
      memberRooms.key(userId).key(roomId),
      roomState.key(roomId).key(stateKeyOf('m.room.history_visibility', '')),
    ] as const, readYourWrites),
    membershipChanges(roomId, userId),
  ]);
  // A purged room (lib/matrix/rooms/deletion.ts) reads as an unknown one, to its former members too.
  if (!info || info.purged === true) throw notInRoom(roomId);
  const lastPosition = info.lastPosition ?? 0;
  const membership = currentMembership(history);
  const base = { roomId, roomVersion: info.version ?? '11', lastPosition, viewer: { userId, history }, membership };
  if (membership === 'join') return { ...base, readableUpTo: lastPosition };
  // world_readable: anyone reads all of it, a former member as much as a stranger (spec; Synapse
  // stops a former member at their leave, less than it shows a stranger). Events sent under
  // another visibility stay hidden event by event (canSee).
  const worldReadable = parseHistoryVisibility(visibilityEvent?.content.history_visibility) === 'world_readable';
  if (worldReadable) return { ...base, readableUpTo: lastPosition };
  const forgotten = memberRoom?.forgotten === true;
  if ((membership === 'leave' || membership === 'ban') && !forgotten) {
    const departedAt = history[history.length - 1]!.position;
    return { ...base, readableUpTo: departedAt, departedAt };
  }
  throw notInRoom(roomId);
}

/** The position state reads use: now for members and readers, the leave for departed users. */
export function statePosition(view: RoomView): number {
  return view.departedAt ?? view.lastPosition;
}
