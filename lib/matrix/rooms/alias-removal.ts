// DELETE /directory/room/{alias} in the rooms topology: the directory's removal and, as Synapse
// does, the room's m.room.canonical_alias re-sent without the alias when it named it (Complement's
// "Can delete canonical alias"). That event is best effort: sent as the deleter when the auth
// rules allow it, skipped otherwise (Synapse logs the AuthError and deletes the alias anyway).
import { authorizeEvent } from '../auth-rules.ts';
import { withoutCanonicalAlias } from '../canonical-alias.ts';
import { planDirectoryCommand } from '../directory/apply.ts';
import type { DirectoryCommandOf } from '../directory/commands.ts';
import type { RoomPlan } from './plan.ts';
import { loadRoom, RoomWriter, type CommandOrigin } from './room-writes.ts';

export async function planAliasDeletion(command: DirectoryCommandOf<'directory.deleteAlias'>, origin: CommandOrigin): Promise<RoomPlan> {
  const { roomId, userId, alias } = command;
  const directory = await planDirectoryCommand(command);
  const room = await loadRoom(roomId, userId, [['m.room.canonical_alias', '']]);
  const current = room.state.get('m.room.canonical_alias', '');
  const content = current && withoutCanonicalAlias(current.content, alias);
  if (!content) return directory;
  const draft = { type: 'm.room.canonical_alias', state_key: '', sender: userId, content };
  if (!authorizeEvent({ ...draft, room_id: roomId }, room.state, room.head.version).allowed) return directory;
  const writer = new RoomWriter(roomId, room.head, room.state, origin);
  const event = writer.append(draft);
  return { ops: [...directory.ops, ...writer.writes()], value: { roomId, eventId: event.event_id } };
}
