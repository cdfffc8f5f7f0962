// What one rooms-depot record does, in order: its writes (exactly once, with its lane's watermark
// where one transaction holds them), then the derived work that may run more than once:
//  1. the lane's sync watermark, when the commit did not carry it (createRoom, directory, redelivery);
//  2. at the same time: the notification counts of the new events, the activity index of the
//     users of sliding sync whose membership changed or whose room was bumped
//     (lib/matrix/rooms/activity-index.ts), and whom the record concerns (the room's online members
//     and membership targets, read after the commit);
//  3. at the same time: the wake-ups of those that long-poll (after the counts: a woken long-poll
//     sees them counted) and the WebSocket pushes to those connected (frames carry no counts);
//  4. a room deletion's next records (lib/matrix/rooms/deletion.ts), each applied once however often appended.
// The events the commit appended are handed down in memory; only a redelivery, which committed
// nothing this time, reads them back from the timeline.
import type { DepotRecord } from '../../core/topology/records.ts';
import type { TopologyContext } from '../../core/topology/stream.ts';
import { countRecordNotifications } from '../notifications/count-events.ts';
import { pushAfterRoomCommit } from '../push/timeline.ts';
import type { RoomCommand, RoomCommandResult } from '../rooms/commands.ts';
import { commitRoomCommand } from '../rooms/topology.ts';
import { activityIndexKept, keepActivityIndex, membershipTargetsOf } from '../rooms/activity-index.ts';
import { sequencePosition } from '../../core/topology/records.ts';
import type { RoomEvent } from '../events.ts';
import { eventsOfRecord } from '../push/timeline.ts';
import { BUMP_EVENT_TYPES } from '../rooms/room-writes.ts';
import { appendDeletionSteps } from '../rooms/deletion.ts';
import { advanceRoomsWatermark, roomRecordAudience, wakeRoomRecordAudience } from '../sync/topology-hooks.ts';

export async function applyRoomsRecord(record: DepotRecord<RoomCommand>, context: TopologyContext): Promise<RoomCommandResult> {
  const applied = await commitRoomCommand(record);
  if (!applied.watermarked) await advanceRoomsWatermark(record);
  const [, , audience] = await Promise.all([
    countRecordNotifications(record, context.lambda, applied.events),
    activityIndexKept() ? keepRecordActivityIndex(record, applied.events) : undefined,
    roomRecordAudience(record),
  ]);
  await Promise.all([wakeRoomRecordAudience(audience), pushAfterRoomCommit(record, audience, applied.events)]);
  const command = record.payload;
  if (command.kind === 'deleteRoom' || command.kind === 'finishRoomDeletion') await appendDeletionSteps(command);
  return applied.result;
}

/**
 * The activity index work of a record: from the events it appended (read back from the timeline
 * by a redelivery, which committed nothing this time; a room's creation names its members in its
 * command, and its bump has nothing to move).
 */
async function keepRecordActivityIndex(record: DepotRecord<RoomCommand>, appended: readonly RoomEvent[] | undefined): Promise<void> {
  const command = record.payload;
  if (command.kind === 'createRoom') {
    const targets = [...new Set(command.events.filter((e) => e.type === 'm.room.member' && e.state_key !== undefined).map((e) => e.state_key!))];
    return keepActivityIndex(command.roomId, record.arrivedAt, { targets, bumped: false });
  }
  const events = appended ?? (await eventsOfRecord(command.roomId, sequencePosition(record.sequenceNumber)));
  if (!events.length) return;
  await keepActivityIndex(command.roomId, record.arrivedAt, { targets: membershipTargetsOf(events), bumped: events.some((e) => BUMP_EVENT_TYPES.has(e.type)) });
}
