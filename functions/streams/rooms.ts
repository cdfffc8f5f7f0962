// The rooms topology: applies the rooms depot's commands (lib/matrix/rooms/topology.ts).
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';
import { roomsDepotCommand, type RoomCommand, type RoomCommandResult } from '../../lib/matrix/rooms/commands.ts';
import { applyRoomCommand, ROOMS_TOPOLOGY } from '../../lib/matrix/rooms/topology.ts';
import { advanceRoomsWatermark, wakeAfterRoomRecord } from '../../lib/matrix/sync/topology-hooks.ts';
import { pushAfterRoomCommit } from '../../lib/matrix/push/timeline.ts';
import { countRecordNotifications } from '../../lib/matrix/notifications/count-events.ts';

export const handler = streamTopology<RoomCommand, RoomCommandResult>({
  name: ROOMS_TOPOLOGY,
  // Room commands and the room directory's (applyRoomCommand tells them apart).
  payload: commandParser(roomsDepotCommand) as { parse(payload: unknown): RoomCommand },
  handle: async (record, context) => {
    const result = await applyRoomCommand(record);
    // Sync: the shard's watermark right after the commit (read-your-writes for a sync after the
    // send's answer), then notification counts, then the wake-ups of waiting long-polls, so a
    // woken long-poll sees the event counted. A sync that does not wait may see an event a moment
    // before its count; the count arrives with the room's next news.
    await advanceRoomsWatermark(record);
    await countRecordNotifications(record, context.lambda);
    const audience = await wakeAfterRoomRecord(record);
    // WebSocket: push the new events to connected members, after the watermark (never throws),
    // to the audience the wake-ups read.
    await pushAfterRoomCommit(record, audience);
    return result;
  },
});
