// What the rooms and userData topologies add for sync, kept here so their code only calls these:
// - in every record's applyOnce transaction: the shard's watermark (and, for userData, which
//   account data entries the record changed, at which position);
// - after the commit (outside the transaction, at least once): wake the long-polls concerned.
import type { WriteOp } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { accountDataChanges } from '../pstates.ts';
import type { RoomCommand } from '../rooms/commands.ts';
import { accountDataKey } from '../user-data/account-data.ts';
import type { UserDataCommand } from '../user-data/commands.ts';
import { pushRulesChangeKey } from './account-data.ts';
import { wakeAfterRoomCommit, wakeUsers } from './wake.ts';
import { syncWatermarkWrite } from './watermark.ts';

type RecordPosition = Pick<DepotRecord, 'shardId' | 'sequenceNumber'>;

/** The users whose own membership a rooms command may change (they are woken even when offline in the room). */
function membershipTargets(command: RoomCommand): string[] {
  switch (command.kind) {
    case 'createRoom':
      return [...new Set(command.events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key))];
    case 'membership':
      return [command.target];
    case 'forget':
      return [command.userId];
    default:
      return [];
  }
}

/** Rooms topology, inside each record's transaction. */
export function roomsSyncWrites(record: RecordPosition): WriteOp[] {
  return [syncWatermarkWrite('rooms', record)];
}

/** Rooms topology, after a record's commit: wake the room's online members and the membership targets. */
export async function wakeAfterRoomCommand(command: RoomCommand): Promise<void> {
  if (!command?.roomId) return;
  await wakeAfterRoomCommit(command.roomId, membershipTargets(command));
}

function changedAccountDataKey(command: UserDataCommand): string | undefined {
  switch (command.kind) {
    case 'userData.accountData':
      return accountDataKey(command.roomId, command.type);
    case 'userData.tag':
      return accountDataKey(command.roomId, 'm.tag');
    case 'userData.pushRule':
      return pushRulesChangeKey;
    default:
      return undefined;
  }
}

/** userData topology, inside each record's transaction (only when the plan writes something). */
export function userDataSyncWrites(record: RecordPosition, command: UserDataCommand): WriteOp[] {
  const key = changedAccountDataKey(command);
  const writes = [syncWatermarkWrite('userData', record)];
  if (key !== undefined) {
    writes.push(accountDataChanges.key(command.userId).key(key).set(`${record.shardId}/${sequencePosition(record.sequenceNumber)}`));
  }
  return writes;
}

/** userData topology, after a record's commit: the user's own long-polls see their account data change. */
export async function wakeAfterUserDataCommand(command: UserDataCommand): Promise<void> {
  if (changedAccountDataKey(command) !== undefined) await wakeUsers([command.userId]);
}
