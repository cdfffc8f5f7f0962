// The users topology: applies account commands (lib/matrix/accounts/commands.ts) from the users
// depot, in order per user, each exactly once (applyOnce commits its writes with its outcome).
// Profile changes and deactivations then reach the user's rooms as commands on the rooms depot,
// removed devices' keys are dropped by a command to the keys topology, and WebSocket connections
// opened with a revoked token (or of a locked user) are dropped. Admins' media deletions delete their blobs before the commit.
// Only records whose kind is an account command are its own: other topologies may read the same
// depot for their commands, and each answers only the appenders of its own kinds.
import { prepare } from '../../lib/core/pstate/index.ts';
import { applyOnce } from '../../lib/core/topology/apply-once.ts';
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { planUsersTopologyCommand } from '../../lib/matrix/accounts/apply.ts';
import { propagateToRooms } from '../../lib/matrix/accounts/room-updates.ts';
import { isAccountCommand, isUsersTopologyCommandKind, revokesTokens, usersTopologyCommand, type UsersTopologyCommand } from '../../lib/matrix/accounts/commands.ts';
import { refusingWith } from '../../lib/matrix/commands.ts';
import { forgetRemovedDevices } from '../../lib/matrix/keys/removed-devices.ts';
import { deleteMediaBlobs } from '../../lib/matrix/media/moderation.ts';
import { dropAllConnections, dropRevokedConnections } from '../../lib/matrix/push/revoked.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';

export const USERS_TOPOLOGY = 'users';

export const handler = streamTopology<UsersTopologyCommand, unknown>({
  name: USERS_TOPOLOGY,
  payload: commandParser(usersTopologyCommand),
  accepts: isUsersTopologyCommandKind,
  handle: async (record) => {
    const command = record.payload;
    // A media deletion's bytes and thumbnails go first (lib/matrix/media/moderation.ts).
    if (command.kind === 'media.delete') await deleteMediaBlobs(command);
    const value = await applyOnce(record, USERS_TOPOLOGY, async () => {
      const plan = await refusingWith(() => planUsersTopologyCommand(command));
      return { writes: await prepare(plan.ops), value: plan.value };
    });
    if (!isAccountCommand(command)) return value;
    // After the change is committed (also on a redelivery, so a crash in between loses nothing).
    await propagateToRooms(command);
    await forgetRemovedDevices(command, value, `devicesRemoved:${record.eventId}`);
    if (revokesTokens(command)) await dropRevokedConnections(command.userId);
    if (command.kind === 'account.moderate' && command.locked === true) await dropAllConnections(command.userId);
    return value;
  },
});
