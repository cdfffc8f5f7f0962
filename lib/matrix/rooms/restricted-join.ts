// Restricted join rules (room v8+): a user who is neither invited nor joined may join when they
// are in one of the rooms the join rule's `allow` names. The join event then names a joined user
// with invite power (join_authorised_via_users_server), whom the server picks as Synapse does.
import { getMany } from '../../core/pstate/index.ts';
import { forbidden } from '../errors.ts';
import type { RoomEvent } from '../events.ts';
import { joinAuthoriserCandidates, restrictedAllowRooms } from '../membership.ts';
import { powerLevelsOf, userLevel } from '../power-levels.ts';
import { memberRooms, roomMembers, roomState } from '../pstates.ts';
import { stateKeyOf, type MapRoomState } from '../room-state.ts';
import type { RoomVersion } from '../room-versions.ts';

/** Bounds the reads: candidates named by the power levels, then members when anyone may invite. */
const MAX_CANDIDATES = 100;

/**
 * The user who authorises `userId`'s join of a restricted room. Their member event is added to
 * `state`, so the auth rules can check them. Throws M_FORBIDDEN when the user is in none of the
 * allowed rooms or nobody in the room can invite.
 */
export async function restrictedJoinAuthoriser(
  roomId: string,
  userId: string,
  state: MapRoomState<RoomEvent>,
  version: RoomVersion,
): Promise<string> {
  const allowed = restrictedAllowRooms(state.get('m.room.join_rules', '')?.content);
  const memberships = allowed.length ? await getMany(allowed.map((r) => memberRooms.key(userId).key(r)), { consistent: true }) : [];
  if (!memberships.some((m) => m?.membership === 'join')) {
    throw forbidden('You do not belong to any of the rooms required to join this room');
  }
  const levels = powerLevelsOf(state, version);
  const candidates = joinAuthoriserCandidates(levels);
  if (levels.users_default >= levels.invite) {
    const page = await roomMembers.key(roomId).range({ limit: MAX_CANDIDATES, consistent: true });
    for (const [id, m] of page.entries) if (m.membership === 'join' && userLevel(levels, id) >= levels.invite) candidates.push(id);
  }
  const bounded = [...new Set(candidates)].filter((u) => u !== userId).slice(0, MAX_CANDIDATES);
  const events = await getMany(bounded.map((u) => roomState.key(roomId).key(stateKeyOf('m.room.member', u))), { consistent: true });
  const found = events.findIndex((e) => e?.content.membership === 'join');
  if (found < 0) throw forbidden('No member of the room can authorise your join');
  state.set(events[found] as RoomEvent);
  return bounded[found]!;
}
