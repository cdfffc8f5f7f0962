// The rooms topology: applies the rooms depot's commands (lib/matrix/topologies/rooms.ts).
import { streamTopology } from '../../lib/core/topology/stream.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';
import { roomsDepotCommand, type RoomCommand, type RoomCommandResult } from '../../lib/matrix/rooms/commands.ts';
import { ROOMS_TOPOLOGY } from '../../lib/matrix/rooms/topology.ts';
import { applyRoomsRecord } from '../../lib/matrix/topologies/rooms.ts';

export const handler = streamTopology<RoomCommand, RoomCommandResult>({
  name: ROOMS_TOPOLOGY,
  // Room commands and the room directory's (commitRoomCommand tells them apart).
  payload: commandParser(roomsDepotCommand) as { parse(payload: unknown): RoomCommand },
  handle: applyRoomsRecord,
});
