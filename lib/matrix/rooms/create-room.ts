// createRoom in the rooms topology. A new room's initial events are built from the command alone
// (the room starts empty), so every delivery builds the very same events. When they need more
// items than one transaction holds, they are committed in parts, each exactly once under its own
// key (`<key>#part<i>`), the last part under the record's own key; a redelivery after a crash
// between parts skips the parts already committed and finishes the room, positions staying 1..n.
import type { WriteOp } from '../../core/pstate/index.ts';
import { applyKey, applyOnce } from '../../core/topology/apply-once.ts';
import type { DepotRecord } from '../../core/topology/records.ts';
import { refusingWith } from '../commands.ts';
import { MatrixError, roomInUse } from '../errors.ts';
import { listBucket, localRooms, publicRooms, roomAliases, roomInfo, roomLocalAliases } from '../pstates.ts';
import { MapRoomState } from '../room-state.ts';
import { roomVersionRules } from '../room-versions.ts';
import type { RoomEvent } from '../events.ts';
import type { CreateRoomCommand, RoomCommandResult } from './commands.ts';
import { prepareRoomWrites, RoomWriter, type CommandOrigin, type RoomHead } from './room-writes.ts';

/** Items one part may use (of 99): membership events cost about 10 items (with the member's activity entry and its count), other state about 3. */
const PART_BUDGET = 72;
const eventCost = (type: string) => (type === 'm.room.member' ? 10 : 3);

export interface PartPlan {
  ops: WriteOp[];
  head: RoomHead;
}

/** All initial events built in memory, their writes split into parts that fit a transaction. */
export function planRoomParts(command: CreateRoomCommand, origin: CommandOrigin): PartPlan[] {
  const head: RoomHead = { version: command.roomVersion, lastPosition: 0, lastEventId: '', joinedCount: 0, invitedCount: 0, bumpStamp: origin.arrivedAt };
  const writer = new RoomWriter(command.roomId, head, new MapRoomState<RoomEvent>(), origin);
  const parts: PartPlan[] = [];
  let start = 0;
  let cost = 0;
  const hashedId = roomVersionRules(command.roomVersion).roomIdIsCreateEventHash;
  command.events.forEach((planned, i) => {
    const event = writer.append(planned);
    // v12: the operation hashed the room id from this very create event; a command whose id does
    // not match would make a room whose id lies.
    if (i === 0 && hashedId && `!${event.event_id.slice(1)}` !== command.roomId) {
      throw new MatrixError(400, 'M_UNKNOWN', 'The room id is not the hash of its create event');
    }
    cost += eventCost(planned.type);
    const last = i === command.events.length - 1;
    const nextCost = last ? 0 : eventCost(command.events[i + 1]!.type);
    if (last || cost + nextCost > PART_BUDGET) {
      parts.push({ ops: writer.ops.slice(start), head: { ...writer.head } });
      start = writer.ops.length;
      cost = 0;
    }
  });
  return parts;
}

function headOps(command: CreateRoomCommand, origin: CommandOrigin, head: RoomHead, first: boolean): WriteOp[] {
  const info = roomInfo.key(command.roomId);
  if (first) {
    return [
      info.set(
        {
          version: command.roomVersion,
          creator: command.creator,
          createdTs: origin.arrivedAt,
          bumpStamp: origin.arrivedAt,
          // The members' activity entries are written under it by the commit itself: nothing to move.
          priorBumpStamp: origin.arrivedAt,
          lastPosition: head.lastPosition,
          lastEventId: head.lastEventId,
          lastSeq: origin.seq,
          shardId: origin.lane,
          joinedCount: head.joinedCount,
          invitedCount: head.invitedCount,
          published: command.visibility === 'public',
          purged: false,
        },
        { ifAbsent: true },
      ),
      localRooms.key(listBucket(command.roomId)).add(command.roomId),
    ];
  }
  return [
    info.field('lastPosition').set(head.lastPosition),
    info.field('lastEventId').set(head.lastEventId),
    info.field('joinedCount').set(head.joinedCount),
    info.field('invitedCount').set(head.invitedCount),
  ];
}

/** Commit part `i` of a new room exactly once (the last part under the record's own key). */
export async function applyRoomPart(
  record: DepotRecord<CreateRoomCommand>,
  topology: string,
  origin: CommandOrigin,
  parts: readonly PartPlan[],
  i: number,
): Promise<RoomCommandResult> {
  const command = record.payload;
  const value: RoomCommandResult = { roomId: command.roomId };
  const part = parts[i]!;
  const first = i === 0;
  const key = i === parts.length - 1 ? record : { requestId: `${applyKey(record)}#part${i}`, eventId: record.eventId };
  return applyOnce(key, topology, () =>
    refusingWith(async () => {
      const ops = [...part.ops, ...headOps(command, origin, part.head, first)];
      if (first) {
        // A redelivery lands here too: the refusal makes applyOnce answer the recorded outcome.
        if (await roomInfo.key(command.roomId).get({ consistent: true })) {
          throw new MatrixError(400, 'M_UNKNOWN', 'Room already exists');
        }
        if (command.alias) {
          if (await roomAliases.key(command.alias).get({ consistent: true })) throw roomInUse();
          ops.push(
            roomAliases.key(command.alias).set({ roomId: command.roomId, creator: command.creator }, { ifAbsent: true }),
            roomLocalAliases.key(command.roomId).add(command.alias),
          );
        }
        if (command.visibility === 'public') ops.push(publicRooms.key('directory').key(command.roomId).set(origin.arrivedAt));
      }
      return { writes: await prepareRoomWrites(ops), value };
    }),
  );
}

export async function applyCreateRoom(record: DepotRecord<CreateRoomCommand>, topology: string, origin: CommandOrigin): Promise<RoomCommandResult> {
  // Refusals (bad initial events, a taken alias) all come before the first part is written.
  const parts = await refusingWith(async () => planRoomParts(record.payload, origin));
  let value: RoomCommandResult = { roomId: record.payload.roomId };
  for (let i = 0; i < parts.length; i++) value = await applyRoomPart(record, topology, origin, parts, i);
  return value;
}
