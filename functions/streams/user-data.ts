// The user-data topology: applies per-user data commands (lib/matrix/user-data/commands.ts) from the
// users depot, in order per user, each exactly once. It shares the depot with the accounts topology
// (functions/streams/users.ts); each takes only the records of its own kinds and answers only their
// appenders, so neither records an outcome for the other's commands.
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { afterUserDataRecord } from '../../lib/matrix/sync/topology-hooks.ts';
import { applyUserDataCommand } from '../../lib/matrix/user-data/apply.ts';
import { isUserDataCommandKind, userDataCommand, type UserDataCommand } from '../../lib/matrix/user-data/commands.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';

export const USER_DATA_TOPOLOGY = 'userData';

export const handler = streamTopology<UserDataCommand, Record<string, unknown>>({
  name: USER_DATA_TOPOLOGY,
  payload: commandParser(userDataCommand),
  accepts: isUserDataCommandKind,
  handle: async (record) => {
    const result = await applyUserDataCommand(record, USER_DATA_TOPOLOGY);
    // Sync: which account data changed where, the shard's watermark, the user's wake-up (lib/matrix/sync).
    await afterUserDataRecord(record);
    return result;
  },
});
