// The old room's side of an upgrade, in the rooms topology (in the old room's order): the
// tombstone pointing at the replacement, then — as Synapse — the canonical alias removed, the
// power levels restricted, the room's local aliases re-pointed and its directory listing moved.
// The tombstone must be allowed (the command is refused otherwise); the later events are best
// effort, skipped when the upgrader lacks the power for them, as Synapse logs and goes on.
import type { WriteOp } from '../../core/pstate/index.ts';
import { authorizeEvent } from '../auth-rules.ts';
import { publicRooms, roomAliases, roomInfo, roomLocalAliases } from '../pstates.ts';
import { restrictedPowerLevels, tombstoneContent } from '../room-upgrade.ts';
import type { TombstoneCommand } from './commands.ts';
import type { RoomPlan } from './plan.ts';
import { loadRoom, RoomWriter, type CommandOrigin, type EventDraftInput } from './room-writes.ts';

/** Aliases moved per upgrade (each costs a few items of the one transaction). */
const MAX_MOVED_ALIASES = 16;
const DIRECTORY_KEY = 'directory';

export async function planTombstone(command: TombstoneCommand, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, sender, replacementRoom } = command;
  const room = await loadRoom(roomId, sender, [['m.room.canonical_alias', '']]);
  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const written = writer.append({ type: 'm.room.tombstone', state_key: '', sender, content: tombstoneContent(replacementRoom) });
  const appendIfAllowed = (draft: EventDraftInput) => {
    if (authorizeEvent({ ...draft, room_id: roomId }, writer.state, writer.head.version).allowed) writer.append(draft);
  };
  const alias = writer.state.get('m.room.canonical_alias', '');
  if (alias && (alias.content.alias !== undefined || alias.content.alt_aliases !== undefined)) {
    appendIfAllowed({ type: 'm.room.canonical_alias', state_key: '', sender, content: {} });
  }
  const restricted = restrictedPowerLevels(writer.state.get('m.room.power_levels', ''));
  if (restricted) appendIfAllowed({ type: 'm.room.power_levels', state_key: '', sender, content: restricted });
  return { ops: [...writer.writes(), ...(await directoryMoves(roomId, replacementRoom))], value: { roomId, eventId: written.event_id }, events: writer.events };
}

/** Local aliases and the published-directory entry follow the room to its replacement. */
async function directoryMoves(oldRoom: string, newRoom: string): Promise<WriteOp[]> {
  const ops: WriteOp[] = [];
  const page = await roomLocalAliases.key(oldRoom).range({ limit: MAX_MOVED_ALIASES, consistent: true });
  for (const alias of page.entries as string[]) {
    ops.push(
      roomAliases.key(alias).field('roomId').set(newRoom),
      roomLocalAliases.key(oldRoom).delete(alias),
      roomLocalAliases.key(newRoom).add(alias),
    );
  }
  const listing = publicRooms.key(DIRECTORY_KEY).key(oldRoom);
  const listedAt = await listing.get({ consistent: true });
  if (listedAt !== undefined) {
    ops.push(
      listing.remove(),
      roomInfo.key(oldRoom).field('published').set(false),
      publicRooms.key(DIRECTORY_KEY).key(newRoom).set(listedAt),
      roomInfo.key(newRoom).field('published').set(true),
    );
  }
  return ops;
}
