// The keys topology: applies end-to-end encryption key commands (lib/matrix/keys/commands.ts) from
// the users depot, in order per user, each exactly once. Like the user-data topology it shares the
// depot with the accounts topology and takes only the records of its own kinds.
import { applyKey } from '../../lib/core/topology/apply-once.ts';
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { applyKeysCommand } from '../../lib/matrix/keys/apply.ts';
import { isKeysCommandKind, keysCommand, type KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { usersSharingRooms } from '../../lib/matrix/keys/changes.ts';
import { wakeUsers } from '../../lib/matrix/sync/wake.ts';
import { appendDevicesRemoved } from '../../lib/matrix/keys/removed-devices.ts';
import { nudgeToSync, toDeviceRecipients } from '../../lib/matrix/push/sync-needed.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';

export const KEYS_TOPOLOGY = 'keys';

export const handler = streamTopology<KeysCommand, Record<string, unknown>>({
  name: KEYS_TOPOLOGY,
  payload: commandParser(keysCommand),
  accepts: isKeysCommandKind,
  handle: async (record) => {
    const result = await applyKeysCommand(record, KEYS_TOPOLOGY);
    // After the commit (at least once): changed device lists (device keys, cross-signing keys,
    // signatures, removals) are news for everyone sharing a room, their long-polls and connections.
    const command = record.payload;
    if ((command.kind === 'keys.upload' && command.deviceKeys) || command.kind === 'keys.crossSigning' || command.kind === 'keys.signatures' || command.kind === 'keys.devicesRemoved') {
      const sharing = await usersSharingRooms(command.userId);
      await wakeUsers(sharing);
      await nudgeToSync(sharing, 'device_lists');
    }
    // A to-device message is news for its recipient's waiting long-polls and the named devices'
    // connections (room keys must not wait for the poll's timeout nor the periodic sync).
    if (command.kind === 'keys.toDevice') {
      await wakeUsers([command.userId]);
      await nudgeToSync([command.userId], 'to_device', toDeviceRecipients(command.messages));
    }
    // A claimed one-time key lowers its device's count: that device should upload more before they
    // run out (sync carries the count; a long-poll answers it at the latest at its timeout).
    if (command.kind === 'keys.claim') {
      const claimedFrom = Object.keys((result as { one_time_keys?: Record<string, unknown> }).one_time_keys ?? {});
      if (claimedFrom.length) await nudgeToSync([command.userId], 'one_time_keys', new Set(claimedFrom));
    }
    // A removal bigger than one transaction goes on in a continuation record (named after this one,
    // so a redelivery appends the same continuation).
    if (command.kind === 'keys.devicesRemoved' && result.more === true) {
      await appendDevicesRemoved(command.userId, command.deviceIds, `${applyKey(record)}:more`);
    }
    return result;
  },
});
