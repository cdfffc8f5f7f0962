// User ids nobody may register: the server notices account's (Synapse refuses it with 400
// M_EXCLUSIVE "This user ID is reserved.", check_user_id_not_appservice_exclusive), so no one can
// squat the name notices are sent under. Axon registers that account itself, the first time a
// notice is sent (lib/matrix/admin/server-notices.ts).
import { MatrixError } from '../errors.ts';
import { serverName } from '../ids.ts';

/**
 * The notices account: AXON_SERVER_NOTICES_USER names its localpart (default `server`; empty turns
 * notices off, as Synapse's are off without `server_notices`), AXON_SERVER_NOTICES_NAME its display
 * name (default "Server Notices").
 */
export function serverNoticesConfig(): { userId: string; displayname: string } | undefined {
  const localpart = process.env.AXON_SERVER_NOTICES_USER ?? 'server';
  if (localpart === '') return undefined;
  return { userId: `@${localpart}:${serverName()}`, displayname: process.env.AXON_SERVER_NOTICES_NAME ?? 'Server Notices' };
}

/** Refuse a user id reserved for the server's own accounts. */
export function refuseReservedUserId(userId: string): void {
  if (userId === serverNoticesConfig()?.userId) throw new MatrixError(400, 'M_EXCLUSIVE', 'This user ID is reserved.');
}
