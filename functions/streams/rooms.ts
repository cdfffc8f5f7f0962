// The rooms topology: applies the rooms depot's commands (lib/matrix/rooms/topology.ts).
import { streamTopology } from '../../lib/core/topology/stream.ts';
import type { RoomCommand, RoomCommandResult } from '../../lib/matrix/rooms/commands.ts';
import { applyRoomCommand, ROOMS_TOPOLOGY } from '../../lib/matrix/rooms/topology.ts';
import { afterRoomRecord } from '../../lib/matrix/sync/topology-hooks.ts';
import { pushAfterRoomCommit } from '../../lib/matrix/push/timeline.ts';
import { countRecordNotifications } from '../../lib/matrix/notifications/count-events.ts';

export const handler = streamTopology<RoomCommand, RoomCommandResult>({
  name: ROOMS_TOPOLOGY,
  handle: async (record, context) => {
    const result = await applyRoomCommand(record);
    // Notification counts, before the watermark: a sync delivering an event sees it counted.
    await countRecordNotifications(record, context.lambda);
    // Sync: the shard's watermark and the wake-ups of waiting long-polls (lib/matrix/sync).
    await afterRoomRecord(record);
    // WebSocket: push the new events to connected members, after the watermark (never throws).
    await pushAfterRoomCommit(record);
    return result;
  },
});
