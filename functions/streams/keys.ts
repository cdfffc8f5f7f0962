// The keys topology: applies end-to-end encryption key commands (lib/matrix/keys/commands.ts) from
// the users depot, in order per user, each exactly once. Like the user-data topology it shares the
// depot with the accounts topology and takes only the records of its own kinds.
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { applyKeysCommand } from '../../lib/matrix/keys/apply.ts';
import { isKeysCommandKind, keysCommand, type KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { usersSharingRooms } from '../../lib/matrix/keys/changes.ts';
import { wakeUsers } from '../../lib/matrix/sync/wake.ts';

export const KEYS_TOPOLOGY = 'keys';

export const handler = streamTopology<KeysCommand, Record<string, unknown>>({
  name: KEYS_TOPOLOGY,
  payload: keysCommand,
  accepts: isKeysCommandKind,
  handle: async (record) => {
    const result = await applyKeysCommand(record, KEYS_TOPOLOGY);
    // After the commit (at least once): new device keys are news for everyone sharing a room.
    if (record.payload.kind === 'keys.upload' && record.payload.deviceKeys) await wakeUsers(await usersSharingRooms(record.payload.userId));
    return result;
  },
});
