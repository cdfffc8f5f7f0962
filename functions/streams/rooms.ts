// The rooms topology: applies the rooms depot's commands (lib/matrix/rooms/topology.ts).
import { streamTopology } from '../../lib/core/topology/stream.ts';
import type { RoomCommand, RoomCommandResult } from '../../lib/matrix/rooms/commands.ts';
import { applyRoomCommand, ROOMS_TOPOLOGY } from '../../lib/matrix/rooms/topology.ts';

export const handler = streamTopology<RoomCommand, RoomCommandResult>({
  name: ROOMS_TOPOLOGY,
  handle: (record) => applyRoomCommand(record),
});
