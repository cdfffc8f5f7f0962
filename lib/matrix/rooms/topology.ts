// The rooms topology: applies the rooms depot's commands one at a time, in order per room, each
// exactly once (its writes commit with its outcome: applyOnce). Refusals are MatrixErrors turned
// into recorded rejections, so nothing is written for a refused command.
import { applyOnce } from '../../core/topology/apply-once.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { Rejection } from '../../core/topology/stream.ts';
import { refusingWith } from '../commands.ts';
import { applyDirectoryCommand, parseDirectoryRecord } from '../directory/apply.ts';
import { isDirectoryCommand } from '../directory/commands.ts';
import type { RoomCommand, RoomCommandResult } from './commands.ts';
import { applyCreateRoom } from './create-room.ts';
import { planAliasDeletion } from './alias-removal.ts';
import { planForget, planMembership, planProfile } from './membership.ts';
import type { RoomPlan } from './plan.ts';
import { planRedact, planSentRedaction } from './redact.ts';
import { prepareRoomWrites, type CommandOrigin } from './room-writes.ts';
import { planSend } from './send.ts';
import { planTombstone } from './tombstone.ts';

export const ROOMS_TOPOLOGY = 'rooms';

function planOf(command: RoomCommand, origin: CommandOrigin): Promise<RoomPlan> {
  switch (command.kind) {
    case 'membership':
      return planMembership(command, origin);
    case 'send':
      return command.type === 'm.room.redaction' ? planSentRedaction(command, origin) : planSend(command, origin);
    case 'redact':
      return planRedact(command, origin);
    case 'profile':
      return planProfile(command, origin);
    case 'forget':
      return planForget(command);
    case 'tombstone':
      return planTombstone(command, origin);
    default:
      throw new Rejection('M_UNKNOWN', `unknown rooms command ${(command as { kind?: unknown }).kind}`, 400);
  }
}

export async function applyRoomCommand(record: DepotRecord<RoomCommand>, topology = ROOMS_TOPOLOGY): Promise<RoomCommandResult> {
  const command = record.payload;
  const origin: CommandOrigin = { seq: sequencePosition(record.sequenceNumber), lane: record.lane, arrivedAt: record.arrivedAt };
  // The room's commands stay in order only under its own partition key.
  if (command?.roomId !== record.partitionKey) throw new Rejection('M_UNKNOWN', 'command not partitioned by its room id', 400);
  if (command.kind === 'createRoom') return applyCreateRoom(record as DepotRecord<typeof command>, topology, origin);
  // Room directory commands (aliases, visibility): the directory area's applier, in room order.
  if (isDirectoryCommand(command)) {
    const directory = parseDirectoryRecord(record);
    if (directory.kind !== 'directory.deleteAlias') return applyDirectoryCommand(record, topology);
    // Deleting an alias may change the room's canonical alias event: a room write.
    return applyPlan(record, topology, () => planAliasDeletion(directory, origin));
  }
  return applyPlan(record, topology, () => planOf(command, origin));
}

function applyPlan(record: DepotRecord<unknown>, topology: string, plan: () => Promise<RoomPlan>): Promise<RoomCommandResult> {
  return applyOnce(record, topology, () =>
    refusingWith(async () => {
      const { ops, value } = await plan();
      return { writes: await prepareRoomWrites(ops), value };
    }),
  );
}
