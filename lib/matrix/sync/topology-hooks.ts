// What the rooms and userData topologies add for sync, kept here so their code only calls these:
// - the lane's watermark, written right AFTER the record's commit(s), before the next record of
//   the lane. A watermark then never names a record whose writes are not all committed (the
//   topology is sequential per lane and retries a failed record before going on), which is all a
//   sync's cut needs. It is written after the commit rather than inside it because createRoom
//   commits in several parts and directory commands have their own applier: one write at the end
//   of every record covers every path without touching each (cost: one more small write per record).
// - after the commit (outside the transaction, at least once): wake the long-polls concerned.
import { commit, type WriteOp } from '../../core/pstate/index.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { accountDataChanges } from '../pstates.ts';
import type { RoomCommand } from '../rooms/commands.ts';
import { accountDataKey } from '../user-data/account-data.ts';
import type { UserDataCommand } from '../user-data/commands.ts';
import { nudgeToSync } from '../push/sync-needed.ts';
import { pushRulesChangeKey } from './account-data.ts';
import { roomAudience, wakeAudience, wakeUsers, type RoomAudience } from './wake.ts';
import { syncWatermarkWrite } from './watermark.ts';

type RecordPosition = Pick<DepotRecord, 'lane' | 'sequenceNumber'>;

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

/**
 * Rooms topology, right after a record was applied (not after a rejection: nothing changed) whose
 * commit did not carry the watermark (createRoom's parts, directory commands, a redelivery):
 * advance the lane's watermark, so a sync right after the answer finds the change.
 */
export async function advanceRoomsWatermark(record: RecordPosition): Promise<void> {
  await commit([syncWatermarkWrite('rooms', record)]);
}

/**
 * Rooms topology, right after the record's commit: whom it concerns (the room's online members and
 * the membership targets), read while the record's derived writes (notification counts) are made.
 * A crash in between is fine: the record is retried, applyOnce returns its recorded outcome, and
 * the hooks run again.
 */
export async function roomRecordAudience(record: { payload: RoomCommand }): Promise<RoomAudience | undefined> {
  const command = record.payload;
  return command?.roomId ? roomAudience(command.roomId, membershipTargets(command)) : undefined;
}

/** Rooms topology, once the derived writes are in: wake the audience's long-polls, so a woken poll sees the event and its counts. */
export async function wakeRoomRecordAudience(audience: RoomAudience | undefined): Promise<void> {
  if (audience) await wakeAudience(audience);
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

/**
 * userData topology, after a record was applied: record which account data entry it changed (at
 * the record's position) and advance the lane's watermark in one commit, then wake the user's
 * own long-polls and tell their connections (frames do not carry account data). An entry written
 * after its change is fine: a sync whose cut is below it simply delivers the change next time.
 */
export async function afterUserDataRecord(record: RecordPosition & { payload: UserDataCommand }): Promise<void> {
  const command = record.payload;
  const key = changedAccountDataKey(command);
  const ops: WriteOp[] = [syncWatermarkWrite('userData', record)];
  if (key !== undefined) {
    ops.push(accountDataChanges.key(command.userId).key(key).set(`${record.lane}/${sequencePosition(record.sequenceNumber)}`));
  }
  await commit(ops);
  if (key !== undefined) {
    await wakeUsers([command.userId]);
    await nudgeToSync([command.userId], 'account_data');
  }
}
