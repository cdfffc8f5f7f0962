// The rooms topology: applies the rooms depot's commands one at a time, in order per room, each
// exactly once (its writes commit with its outcome: applyOnce). Refusals are MatrixErrors turned
// into recorded rejections, so nothing is written for a refused command.
import { applyOnceWithEffects } from '../../core/topology/apply-once.ts';
import { sequencePosition, type DepotRecord } from '../../core/topology/records.ts';
import { Rejection } from '../../core/topology/stream.ts';
import { refusingWith } from '../commands.ts';
import { applyDirectoryCommand, parseDirectoryRecord } from '../directory/apply.ts';
import { isDirectoryCommand } from '../directory/commands.ts';
import type { RoomEvent } from '../events.ts';
import { syncWatermarkWrite } from '../sync/watermark.ts';
import type { RoomCommand, RoomCommandResult } from './commands.ts';
import { applyCreateRoom } from './create-room.ts';
import { planAliasDeletion } from './alias-removal.ts';
import { planForget, planMembership, planProfile } from './membership.ts';
import type { RoomPlan } from './plan.ts';
import { planRedact, planSentRedaction } from './redact.ts';
import { prepareRoomWrites, type CommandOrigin } from './room-writes.ts';
import { planSend } from './send.ts';
import { planTombstone } from './tombstone.ts';
import { planBlockRoom, planDeleteRoom, planFinishRoomDeletion } from './deletion.ts';

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
    case 'deleteRoom':
      return planDeleteRoom(command, origin);
    case 'finishRoomDeletion':
      return planFinishRoomDeletion(command);
    case 'blockRoom':
      return planBlockRoom(command, origin);
    default:
      throw new Rejection('M_UNKNOWN', `unknown rooms command ${(command as { kind?: unknown }).kind}`, 400);
  }
}

/** What applying a rooms record came to, for its after-commit work (lib/matrix/topologies/rooms.ts). */
export interface AppliedRoomCommand {
  result: RoomCommandResult;
  /** The events this delivery appended; absent when not known here (read them back if needed). */
  events?: readonly RoomEvent[];
  /** Whether the lane's sync watermark was committed with the record's writes (else: advance it after). */
  watermarked: boolean;
}

/**
 * Apply a rooms record exactly once. A command applied in one transaction commits its lane's
 * watermark in it too: a sync right after the send's answer finds the event, with no separate
 * write. createRoom (several commits) and directory commands with their own applier leave the
 * watermark to the after-commit work, as does a redelivery that finds its outcome recorded.
 */
export async function commitRoomCommand(record: DepotRecord<RoomCommand>, topology = ROOMS_TOPOLOGY): Promise<AppliedRoomCommand> {
  const command = record.payload;
  const origin: CommandOrigin = { seq: sequencePosition(record.sequenceNumber), lane: record.lane, arrivedAt: record.arrivedAt };
  // The room's commands stay in order only under its own partition key.
  if (command?.roomId !== record.partitionKey) throw new Rejection('M_UNKNOWN', 'command not partitioned by its room id', 400);
  if (command.kind === 'createRoom') return { result: await applyCreateRoom(record as DepotRecord<typeof command>, topology, origin), watermarked: false };
  // Room directory commands (aliases, visibility): the directory area's applier, in room order.
  if (isDirectoryCommand(command)) {
    const directory = parseDirectoryRecord(record);
    if (directory.kind !== 'directory.deleteAlias') return { result: await applyDirectoryCommand(record, topology), watermarked: false };
    // Deleting an alias may change the room's canonical alias event: a room write.
    return applyRoomPlan(record, topology, () => planAliasDeletion(directory, origin));
  }
  return applyRoomPlan(record, topology, () => planOf(command, origin));
}

/** Commit a room plan exactly once, with the lane's watermark in the same transaction. */
async function applyRoomPlan(record: DepotRecord<unknown>, topology: string, plan: () => Promise<RoomPlan>): Promise<AppliedRoomCommand> {
  const applied = await applyOnceWithEffects(record, topology, (attempt) =>
    refusingWith(async () => {
      const planned = await plan();
      const ops = [...planned.ops, syncWatermarkWrite('rooms', record)];
      const events = planned.events ?? (planned.ops.length === 0 ? [] : undefined);
      const known = planned.known;
      return { writes: await prepareRoomWrites(ops, { firstAttempt: attempt === 1, ...(known ? { known } : {}) }), value: planned.value, effects: { events } };
    }),
  );
  if (!applied.effects) return { result: applied.value, watermarked: false };
  const { events } = applied.effects;
  return { result: applied.value, ...(events ? { events } : {}), watermarked: true };
}

/** Apply a rooms record exactly once (its writes only; the after-commit work is the caller's). */
export async function applyRoomCommand(record: DepotRecord<RoomCommand>, topology = ROOMS_TOPOLOGY): Promise<RoomCommandResult> {
  return (await commitRoomCommand(record, topology)).result;
}
