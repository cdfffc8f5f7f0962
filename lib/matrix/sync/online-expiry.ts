// Expired roomOnlineMembers entries (a user who stopped long-polling or disconnected without a
// renewal) are deleted by the fan-out that finds them, so a room's online list does not keep
// growing with everyone who was ever online there. A conditional delete, not DynamoDB TTL: the
// entries are elements of a subindexed map whose size lives in the parent item (TTL deletions would
// leave it wrong), and TTL deletes only within days. The condition (still below `now`) keeps a
// registration renewed meanwhile. Cost: one read and one conditional write per expired entry, once.
import { commit, isConditionFailed } from '../../core/pstate/index.ts';
import { roomOnlineMembers } from '../pstates.ts';
import { errorText, logger } from '../../core/log.ts';

const log = logger('axon-sync');

/** Delete these users' entries of the room when they are still expired at `now`; never throws. */
export async function forgetExpiredOnline(roomId: string, userIds: readonly string[], now: number): Promise<void> {
  await Promise.all(
    userIds.map(async (userId) => {
      try {
        await commit([roomOnlineMembers.key(roomId).key(userId).remove({ ifBelow: now })]);
      } catch (err) {
        // Renewed (or deleted by another fan-out) meanwhile: nothing to do.
        if (!isConditionFailed(err)) log.warn(`forgetting ${userId} online in ${roomId} failed: ${errorText(err)}`);
      }
    }),
  );
}
