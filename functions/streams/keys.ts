// The keys topology: applies end-to-end encryption key commands (lib/matrix/keys/commands.ts) from
// the users depot, in order per user, each exactly once. Like the user-data topology it shares the
// depot with the accounts topology and takes only the records of its own kinds.
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { applyKeysCommand } from '../../lib/matrix/keys/apply.ts';
import { isKeysCommandKind, keysCommand, type KeysCommand } from '../../lib/matrix/keys/commands.ts';
import { usersSharingRooms } from '../../lib/matrix/keys/changes.ts';
import { wakeUsers } from '../../lib/matrix/sync/wake.ts';

export const KEYS_TOPOLOGY = 'keys';

const applyKeysCommands = streamTopology<KeysCommand, Record<string, unknown>>({
  name: KEYS_TOPOLOGY,
  payload: keysCommand,
  handle: async (record) => {
    const result = await applyKeysCommand(record, KEYS_TOPOLOGY);
    // After the commit (at least once): new device keys are news for everyone sharing a room.
    if (record.payload.kind === 'keys.upload' && record.payload.deviceKeys) await wakeUsers(await usersSharingRooms(record.payload.userId));
    return result;
  },
});

function kindOf(source: KinesisStreamRecord): string | undefined {
  try {
    const envelope = JSON.parse(Buffer.from(source.kinesis.data, 'base64').toString('utf8')) as { kind?: unknown };
    return typeof envelope.kind === 'string' ? envelope.kind : undefined;
  } catch {
    return undefined;
  }
}

export const handler = (event: KinesisStreamEvent, context: Context) =>
  applyKeysCommands({ Records: event.Records.filter((r) => isKeysCommandKind(kindOf(r))) }, context);
