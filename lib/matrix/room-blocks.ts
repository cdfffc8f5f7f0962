// The server's room block list (Synapse's blocked_rooms), written by the rooms topology from the
// admin API: a blocked room refuses every membership but leave and ban, and every new alias.
import { MatrixError } from './errors.ts';
import { blockedRooms } from './pstates.ts';

/** Synapse's answer in a blocked room. */
export const roomBlocked = () => new MatrixError(403, 'M_UNKNOWN', 'This room has been blocked on this server');

export async function isRoomBlocked(roomId: string): Promise<boolean> {
  return (await blockedRooms.key(roomId).get({ consistent: true })) !== undefined;
}
